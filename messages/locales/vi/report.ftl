# Nhãn của báo cáo và bản báo cáo tại một thời điểm (acta report, GET /v1/statement).

st-statement = Báo cáo tại một thời điểm
st-statement-caps = BÁO CÁO TẠI MỘT THỜI ĐIỂM
st-title-as-of = Báo cáo tại ngày { $date }
st-title-all = Báo cáo toàn bộ hồ sơ
st-programme = Chương trình
st-as-of = Tình trạng tại ngày
st-as-of-any = mọi ngày (không giới hạn ngày)
st-known-at = Theo hồ sơ ghi nhận lúc
st-known-now = hiện tại (toàn bộ hồ sơ)
st-chain-head = Đầu chuỗi băm
st-produced-at = Lập lúc
st-plans = 1. Tình trạng kế hoạch
st-plan = Kế hoạch
st-title = Tên
st-kind = Loại
st-status = Tình trạng
st-since = Từ ngày
st-period = Giai đoạn
st-funding = 2. Kinh phí theo năm và nguồn
st-fiscal-year = Năm ngân sách
st-source = Nguồn
st-planned = Kế hoạch
st-allocated = Được cấp
st-disbursed = Giải ngân
st-budget = Tổng kinh phí
st-unspent = Chưa giải ngân
st-by-source = Cộng theo nguồn
st-total = Tổng cộng
st-in-words = Tổng số bằng số và bằng chữ
st-budget-in-words = Tổng kinh phí bằng chữ
st-yearly = 3. Tổng hợp theo năm
st-year = Năm
st-decisions = Văn bản
st-plans-approved = Kế hoạch được duyệt
st-training = Tập huấn: lớp / buổi / người
st-trainings = Lớp tập huấn
st-sessions = Buổi
st-participants = Người tham dự
st-outreach = Truyền thông
st-enterprises = Doanh nghiệp được đánh giá
st-staff = Cán bộ
st-reconciliation = 4. Đối chiếu
st-verdict-ok = Khớp: không có lỗi; { $warnings } cảnh báo
st-verdict-errors = Không khớp: { $errors } lỗi, { $warnings } cảnh báo
st-no-findings = Không có phát hiện nào.
st-severity = Mức
st-finding = Phát hiện
st-expected = Theo hồ sơ
st-actual = Thực tế
st-difference = Chênh lệch
st-message = Nội dung
st-status-name = { $value ->
    [draft] dự thảo
    [submitted] đã trình
    [approved] đã phê duyệt
    [completed] đã hoàn thành
   *[cancelled] đã hủy
}
st-source-name = { $value ->
    [central] Ngân sách trung ương
    [local] Ngân sách địa phương
   *[other] Nguồn khác
}
st-severity-name = { $value ->
    [error] lỗi
   *[warning] cảnh báo
}
st-finding-kind = { $value ->
    [total_mismatch] Tổng số báo cáo khác số tính được
    [words_mismatch] Số tiền bằng chữ khác số tiền bằng số
    [words_unreadable] Không đọc được số tiền bằng chữ
    [breakdown_mismatch] Tổng số người khác tổng theo nhóm
    [overspend] Giải ngân vượt số được cấp
    [disbursed_without_allocation] Giải ngân khi chưa được cấp
   *[target_missed] Không đạt chỉ tiêu
}
