# Kết quả đối soát và cảnh báo khi ghi nhận, bằng tiếng Việt.

source = { $value ->
    [central] ngân sách trung ương
    [local] ngân sách địa phương
   *[other] nguồn khác
}

finding-total_mismatch = Tổng { $metric } báo cáo cho kế hoạch { $plan }{ $years } là { $reported }, nhưng số liệu ghi nhận là { $computed } (chênh lệch { $difference }).
finding-words_mismatch = Số tiền bằng chữ của tổng { $metric } báo cáo cho kế hoạch { $plan }{ $years } đọc ra là { $words }, không phải { $amount } (chênh lệch { $difference }).
finding-words_unreadable = Số tiền bằng chữ của tổng { $metric } báo cáo cho kế hoạch { $plan }{ $years } không đọc được thành số tiếng Việt; số ghi bằng số là { $amount }.
finding-breakdown_mismatch = Đợt tập huấn ngày { $date } của kế hoạch { $plan } ghi { $participants } người tham dự, nhưng tổng các nhóm là { $group_sum } (chênh lệch { $difference }).
finding-overspend = Kế hoạch { $plan } đã giải ngân { $disbursed } từ { $source } cho năm ngân sách { $fiscal_year }, vượt số { $allocated } đã phân bổ (vượt { $overspent }).
finding-disbursed_without_allocation = Kế hoạch { $plan } đã giải ngân { $disbursed } từ { $source } cho năm ngân sách { $fiscal_year }, trong khi chưa có khoản phân bổ nào.
finding-target_missed = Kế hoạch { $plan } đạt { $actual } trên chỉ tiêu { $target } của năm { $year } cho chỉ số { $indicator } (còn thiếu { $short }).

years-one = {" "}năm { $year }
years-range = {" "}giai đoạn { $from_year }–{ $to_year }
years-from = {" "}từ năm { $from_year }
years-up-to = {" "}đến năm { $to_year }
years-all = {""}

warning-duplicate_without_id = Một hoạt động giống hệt đã được lưu là sự kiện { $id } (seq { $seq }), và lần này gửi không kèm id nên hoạt động đã được lưu hai lần. Nếu đây là bản lặp, hãy thu hồi nó; hãy gửi id với mỗi hoạt động để gửi lại an toàn.
