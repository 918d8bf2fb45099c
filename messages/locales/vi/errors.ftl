# Lỗi từng trường của acta bằng tiếng Việt. Mỗi mã (id) là một mã trong messages/src/codes.rs,
# dùng đúng các tham số mà mã đó cung cấp. Viết rõ ràng, dễ hiểu cho cán bộ nhập liệu.

json-kind = { $value ->
    [null] null
    [boolean] một giá trị đúng/sai
    [float] một số thập phân
    [negative_integer] một số nguyên âm
    [integer] một số nguyên
    [string] một chuỗi ký tự
    [array] một mảng
   *[object] một đối tượng
}

field-required = là trường bắt buộc
data-required = là trường bắt buộc (gửi {"{}"} nếu không cần trường nào)
unknown-field = trường không xác định; các trường hợp lệ: { $expected }
not-an-object = phải là một đối tượng, nhưng nhận được { $got }
not-a-json-object = phải là một đối tượng JSON, nhưng nhận được { $got }
not-a-string = phải là một chuỗi ký tự, nhưng nhận được { $got }
not-an-integer = phải là một số nguyên, nhưng nhận được { $got }
float-not-integer = phải là một số nguyên, nhưng nhận được số thập phân ({ $value })
integer-out-of-range = phải là số nguyên trong khoảng { $minimum }..={ $maximum }, nhưng nhận được { $value }
year-not-integer = phải là một năm (số nguyên), nhưng nhận được { $got }
year-out-of-range = phải là một năm trong khoảng { $minimum }..={ $maximum }, nhưng nhận được { $value }
amount-not-integer = phải là số tiền nguyên tính bằng đồng, nhưng nhận được { $got }
amount-float = phải là số tiền nguyên tính bằng đồng, nhưng nhận được số thập phân ({ $value })
amount-out-of-range = số tiền phải là số đồng nguyên, 0 < số tiền <= { $maximum }, nhưng nhận được { $value }
not-a-boolean = phải là true hoặc false, nhưng nhận được { $got }
not-an-array-of-strings = phải là một mảng các chuỗi ký tự, nhưng nhận được { $got }
not-a-count-map = phải là một đối tượng ánh xạ tên sang số nguyên, nhưng nhận được { $got }
not-an-array-of-events = phải là một mảng các sự kiện, nhưng nhận được { $got }
too-many-entries = chỉ được chứa tối đa { $maximum } phần tử
map-name-invalid = tên này: { $reason }
text-control-character = không được chứa ký tự điều khiển (có { $character })
text-length = phải dài từ 1 đến { $maximum } ký tự sau khi bỏ khoảng trắng hai đầu, nhưng có { $length } ký tự
text-format-character = chứa { $character }, một ký tự định dạng vô hình, ở ký tự thứ { $position }: văn bản không được chứa ký tự định dạng (nhóm Unicode Cf)
name-format-character = tên này chứa { $character }, một ký tự định dạng vô hình, ở ký tự thứ { $position }: tên không được chứa ký tự định dạng (nhóm Unicode Cf)
too-many-format-characters = chứa nhiều ký tự định dạng hơn { $maximum } ký tự đầu tiên đã nêu
float-in-data = JSON chuẩn của một sự kiện chỉ chứa số nguyên, nhưng có số thập phân { $value }
plan-key-pattern = phải khớp mẫu ^[a-z0-9][a-z0-9-]{"{"}0,63{"}"}$ (chữ thường, chữ số và '-', tối đa { $maximum } ký tự), nhưng nhận được { $value }
indicator-pattern = phải khớp mẫu ^[a-z][a-z_]*(\.[a-z][a-z_]*)*$ (ví dụ training.participants), nhưng nhận được { $value }
date-year-range = năm phải trong khoảng { $minimum }..={ $maximum }, nhưng nhận được { $year }
date-not-in-calendar = { $date } không phải là một ngày có thật trong lịch
date-format-hint = ngày phải viết theo dạng YYYY-MM-DD: hãy viết { $hint } thay cho { $value }
date-format = ngày phải viết theo dạng YYYY-MM-DD (ví dụ 2011-12-07), nhưng nhận được { $value }
date-no-such-month = { $value } có tháng không hợp lệ
date-no-such-day = { $value } có ngày không hợp lệ
date-in-future = { $date } là ngày trong tương lai: ngày muộn nhất được chấp nhận hôm nay là { $latest }
event-id-format = phải là một ULID: 26 ký tự Crockford base32 viết hoa, nhưng nhận được { $value }
date-precision = phải là "day", "month" hoặc "year", nhưng nhận được { $value }
instant-too-late = { $value } là một thời điểm quá xa trong tương lai
instant-format = phải là một thời điểm RFC 3339 như 2026-11-28T20:15:00.123Z (hoặc một ngày YYYY-MM-DD, hiểu là cuối ngày đó theo giờ UTC), nhưng nhận được { $value }
not-one-of = phải là một trong các giá trị { $expected }, nhưng nhận được { $value }
before-from-year = không được trước from_year ({ $from_year })
correction-needs-change = một bản đính chính phải có ít nhất một trong hai trường data (toàn bộ dữ liệu thay thế) và occurred_on
event-too-large = mỗi sự kiện chỉ được dài tối đa { $maximum } byte JSON
batch-too-large = chỉ được chứa tối đa { $maximum } sự kiện, nhưng có { $count }
batch-empty = phải chứa ít nhất một sự kiện
hash-format = phải là 64 chữ số thập lục phân viết thường
restored-needs-id = là trường bắt buộc trong một sự kiện được khôi phục

decision-taken = văn bản số { $number } của { $issuer } đã được ghi nhận cho năm { $year } (số và cơ quan ban hành được so sánh sau khi bỏ và gộp khoảng trắng, theo dạng NFC)
id-taken = sự kiện { $id } đã được lưu (seq { $seq }) với nội dung khác; mỗi id chỉ dùng cho một sự kiện
id-stored = sự kiện { $id } đã được lưu
plan-registered-already = kế hoạch { $plan } đã được đăng ký
plan-not-registered = kế hoạch { $plan } chưa được đăng ký
plan-not-registered-first = kế hoạch { $plan } chưa được đăng ký: sự kiện đầu tiên của một kế hoạch phải là plan.registered
version-mismatch = phiên bản mong đợi là { $expected }, nhưng dòng sự kiện của kế hoạch { $plan } đang có { $current } sự kiện: phiên bản hiện tại là { $current }
lifecycle-dated-before = sự kiện vòng đời của kế hoạch { $plan } không được ghi ngày trước sự kiện vòng đời gần nhất ({ $latest })
lifecycle-not-allowed = kế hoạch { $plan } đang ở trạng thái { $status }: không thể thực hiện { $event_type } từ trạng thái này
fiscal-year-outside = năm ngân sách { $year } nằm ngoài thời kỳ của kế hoạch { $from_year }..={ $to_year }
correction-changes-plan = bản đính chính plan.registered không được đổi kế hoạch cấp trên hay loại kế hoạch (hãy đăng ký một kế hoạch mới)
target-missing = sự kiện { $target } không tồn tại
target-is-correction = sự kiện { $target } là một { $event_type }: bản đính chính và bản thu hồi không được đính chính tiếp
target-other-plan = bản đính chính thuộc kế hoạch của sự kiện được đính chính: sự kiện { $target } thuộc kế hoạch { $plan }
target-retracted = sự kiện { $target } đã bị thu hồi: không thể đính chính hay thu hồi lần nữa
lifecycle-not-retracted = sự kiện { $target } là một { $event_type }: không thể thu hồi sự kiện vòng đời của kế hoạch (hãy hủy kế hoạch)
lifecycle-not-redated = không thể chuyển sự kiện vòng đời của kế hoạch sang ngày khác
hash-altered = mã băm tính lại từ sự kiện này, { $hash }, không khớp với mã băm nó mang: sự kiện đã bị sửa sau khi ghi và không được khôi phục
restore-seq = seq { $seq } không nối tiếp đầu chuỗi của sổ này, seq { $head_seq }: việc khôi phục tiếp tục một sổ từ chỗ nó kết thúc (sổ trống, với một bản xuất đầy đủ)
restore-prev-hash = prev_hash { $prev_hash } không phải mã băm đầu chuỗi { $head_hash } của sổ này: bản xuất thuộc một sổ khác
restore-version = phiên bản { $version } không phải phiên bản kế tiếp của kế hoạch ở đây, { $next }
restore-recorded-at = sớm hơn recorded_at của đầu chuỗi: recorded_at không bao giờ lùi theo seq
restore-repeat = sự kiện { $id } được lưu ở seq { $seq } với mã băm { $hash }, không phải ở seq { $sent_seq } với mã băm { $sent_hash }

parameter-repeated = được gửi nhiều hơn một lần
parameter-unknown = tham số không hợp lệ; đường dẫn này nhận: { $expected }
parameter-malformed = { $reason }
after-not-seq = phải là một seq (số nguyên ≥ 0), nhưng nhận được { $value }
limit-range = phải là số nguyên trong khoảng 1..={ $maximum }, nhưng nhận được { $value }
search-too-long = phải có nhiều nhất { $maximum } ký tự, nhưng có { $length }
search-no-word = phải có ít nhất một từ (một số văn bản, các từ của một tiêu đề)
search-too-many-words = phải có nhiều nhất { $maximum } từ, nhưng có { $words }
token-name-taken = đã được dùng
json-syntax = { $reason }
json-too-deep = nội dung lồng sâu quá { $maximum } cấp
json-duplicate-key = khóa này xuất hiện hai lần trong một đối tượng; mỗi khóa chỉ gửi một lần
detail-duplicate-key = { $field }: nội dung gửi khóa này hai lần trong một đối tượng, nên ý nghĩa của nó tùy vào bên đọc giữ lại lần nào

detail-one = { $field }: { $message }
detail-many = { $field }: { $message } (và { $more } lỗi khác)
detail-unknown-fields = yêu cầu có trường không xác định
detail-invalid = yêu cầu không hợp lệ
detail-left-out = ; errors chỉ liệt kê { $listed } trong số { $total } lỗi
detail-parameter = tham số truy vấn { $name } không hợp lệ
detail-not-json = nội dung không phải JSON hợp lệ: { $reason }
the-body = nội dung yêu cầu

amount-text-required = bắt buộc: số tiền như đã nhập
amount-text-too-long = dài hơn { $maximum } ký tự
amount-text-unreadable = không phải một số tiền: hãy viết bằng chữ số, có hoặc không tách nhóm (587.000.000, 587 000 000), hoặc bằng chữ (năm trăm tám mươi bảy triệu đồng)
amount-text-too-large = lớn hơn { $maximum }, số tiền lớn nhất một sự kiện được mang
integer-at-least-one = phải là số nguyên ≥ 1, nhưng nhận được { $value }
seq-format = phải là một số nguyên từ 0 trở lên, nhưng nhận được { $value }
seq-beyond-head = không được lớn hơn seq của đầu chuỗi, { $head_seq }
format-json-or-csv = phải là "json" hoặc "csv"
detail-token-name-taken = đã có một token tên { $name } (tên của token đã thu hồi vẫn không dùng lại được)
detail-seq-format = { $field } phải là một seq: số nguyên từ 0 trở lên
detail-seq-beyond-head = { $field } là { $after }, vượt quá đầu chuỗi của sổ (seq { $head_seq }): chưa có gì được lưu ở đó
