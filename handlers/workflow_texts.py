"""What the bot says for issue 14's conversation and workflows (prompts, editing, merging, tasks, reviews). Phone-sized."""
from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # (English, Chinese)
    # prompts: cancel, expiry, a note typed while a question waits
    "prompt_cancelled_date": ("OK, the follow-up date stays.", "好的，跟进日期不变。"),
    "prompt_cancelled_name": ("OK, the note is kept without a customer.", "好的，记录已保存，暂不关联客户。"),
    "prompt_cancelled": ("OK, cancelled.", "好的，已取消。"),
    "nothing_to_cancel": ("Nothing to cancel.", "没有需要取消的。"),
    "prompt_dropped": ("(Question left open: the date stays.)", "（上一个问题已放下，日期不变。）"),
    "prompt_dropped_name": ("(The earlier note stays without a customer.)", "（上一条记录暂不关联客户。）"),
    "prompt_expired": ("That question has expired. Send the note again if needed.", "这个问题已过期。需要的话请重新发送。"),
    "btn_cancel": ("Cancel", "取消"),
    # several customers answer to one name
    "which_named": ("Several customers match \"{q}\". Which one?", "有几个客户叫“{q}”，是哪一位？"),
    # /new
    "new_similar": ("Already in the team: {matches}. Create {name} anyway?", "团队里已有：{matches}。仍要新建 {name} 吗？"),
    "btn_create_anyway": ("➕ Create anyway", "➕ 仍然新建"),
    "owned_by": ("owner {owner}", "负责人 {owner}"),
    "new_ok_attached": ("✓ New customer {name}{company}, owned by you.", "✓ 新客户 {name}{company}，负责人是你。"),
    "new_details": ("{details}", "{details}"),
    # edits
    "edit_usage": ("Usage: /{cmd} CUSTOMER VALUE", "用法：/{cmd} 客户 新值"),
    "edit_bad_value": ("\"{value}\" is not a valid {field}. Try: {choices}", "“{value}”不是有效的{field}。可选：{choices}"),
    "edit_ok": ("✓ {customer}: {field} → {value}", "✓ {customer}：{field} → {value}"),
    "edit_denied": ("Only the owner, their manager or an admin can change {customer}.", "只有负责人、其经理或管理员可以修改 {customer}。"),
    # merge
    "merge_usage": ("Usage: /merge KEEP DROP (the second is folded into the first)", "用法：/merge 保留的客户 并入的客户"),
    "merge_same": ("Those are the same customer.", "这是同一个客户。"),
    "merge_ask": ("Merge {drop} into {keep}? {notes} note(s), {tasks} follow-up(s) move.", "把 {drop} 并入 {keep}？将移动 {notes} 条记录、{tasks} 个跟进。"),
    "btn_merge": ("Merge", "合并"),
    "merge_ok": ("✓ Merged {drop} into {keep}. /unmerge to undo.", "✓ 已把 {drop} 并入 {keep}。可用 /unmerge 撤销。"),
    "unmerge_none": ("No merge of yours to undo.", "没有可以撤销的合并。"),
    "unmerge_ok": ("↩ {drop} is separate again from {keep}.", "↩ {drop} 已从 {keep} 中恢复。"),
    # tasks
    "tasks_header_today": ("Due today and overdue ({n}):", "今天到期和已逾期（{n}）："),
    "tasks_header_week": ("Due this week and overdue ({n}):", "本周到期和已逾期（{n}）："),
    "tasks_header_of": ("{who}'s open follow-ups ({n}):", "{who} 的待跟进（{n}）："),
    "tasks_none_today": ("Nothing due now; {n} later: /tasks all", "现在没有到期的跟进；之后还有 {n} 个：/tasks all"),
    "tasks_more": ("{n} more later: /tasks all", "之后还有 {n} 个：/tasks all"),
    "tasks_unknown_member": ("No colleague called {name} you may see.", "没有你能查看的同事 {name}。"),
    "done_many": ("✓ Done: {items}", "✓ 已完成：{items}"),
    "done_missing": ("Not yours or not open: #{ids}", "不是你的或已关闭：#{ids}"),
    "snooze_usage": ("Usage: /snooze N WHEN, e.g. /snooze 3 tomorrow", "用法：/snooze 编号 时间，比如 /snooze 3 明天"),
    "snooze_ok": ("✓ #{id} moved to {when}.", "✓ #{id} 改到 {when}。"),
    # reviews
    "review_ok": ("✓ {customer} reviewed: still active.", "✓ {customer} 已复盘：仍有效。"),
    "review_gone": ("That customer is no longer yours to review.", "这个客户已不由你复盘。"),
    "review_pick_tier": ("{customer}: which tier?", "{customer}：改成哪个级别？"),
    "review_pick_stage": ("{customer}: which stage?", "{customer}：改成哪个阶段？"),
    "review_pick_owner": ("{customer}: hand over to whom?", "{customer}：交接给谁？"),
    "review_handover_task": ("Hand over {customer} (asked by {rep})", "交接 {customer}（{rep} 提出）"),
    "review_handover_asked": ("✓ Asked {manager} to hand over {customer}.", "✓ 已请 {manager} 交接 {customer}。"),
    "review_no_manager": ("No manager to hand {customer} to; an admin can /assign it.", "没有经理可交接 {customer}，请管理员用 /assign。"),
    # risks
    "risk_follow_up": ("Follow up: {risk}", "跟进：{risk}"),
    "risk_task_mine": ("Follow-up {when}: {task}", "跟进 {when}：{task}"),
    "risk_task_owner": ("Follow-up for {owner} {when}.", "已给 {owner} 建跟进（{when}）。"),
    "lost_stage": ("Stage → {stage}", "阶段 → {stage}"),
}


def t(key: str, lang: str, **values) -> str:
    en, zh = TEXTS[key]
    return (zh if lang == "zh" else en).format(**values)
