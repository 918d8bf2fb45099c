# Reconciliation findings and warnings of an append, in English.

source = { $value ->
    [central] central
    [local] local
   *[other] other
}

finding-total_mismatch = The total of { $metric } reported on plan { $plan }{ $years } is { $reported }, but the record gives { $computed } (difference { $difference }).
finding-words_mismatch = The amount in words of the total of { $metric } reported on plan { $plan }{ $years } reads as { $words }, not { $amount } (difference { $difference }).
finding-words_unreadable = The amount in words of the total of { $metric } reported on plan { $plan }{ $years } cannot be read as a Vietnamese number; the figure given is { $amount }.
finding-breakdown_mismatch = The training of { $date } on plan { $plan } states { $participants } participants, but its groups add up to { $group_sum } (difference { $difference }).
finding-overspend = Plan { $plan } disbursed { $disbursed } of { $source } funds for fiscal year { $fiscal_year }, more than the { $allocated } allocated (overspent by { $overspent }).
finding-disbursed_without_allocation = Plan { $plan } disbursed { $disbursed } of { $source } funds for fiscal year { $fiscal_year }, where nothing was allocated.
finding-target_missed = Plan { $plan } reached { $actual } of its { $year } target of { $target } for { $indicator } (short by { $short }).

years-one = {" "}for { $year }
years-range = {" "}for { $from_year }–{ $to_year }
years-from = {" "}from { $from_year } on
years-up-to = {" "}up to { $to_year }
years-all = {""}

warning-duplicate_without_id = An identical act is already stored as event { $id } (seq { $seq }), and this one was sent without an id, so it is now stored twice. If it is a repeat, retract it; send an id with every act so that a retry is safe.
