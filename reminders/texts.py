"""What the pushes say, in English and Chinese. Phone-sized: a few short lines each."""
from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # follow-up reminders
    "reminder_head": ("⏰ Follow-up: {customer}", "⏰ 跟进提醒：{customer}"),
    "reminder_task": ("{task} ({when})", "{task}（{when}）"),
    "reminder_last": ("Last note ({ago}): {text}", "上次记录（{ago}）：{text}"),
    "reminder_waits": ("⏰ Outside working hours: I'll remind you {when}.", "⏰ 非工作时间，{when}再提醒你。"),
    "late": ("(sent late: I was offline)", "（延迟送达：机器人曾离线）"),
    "btn_done": ("✓ Done", "✓ 完成"),
    "btn_snooze": ("⏰ 1 hour", "⏰ 1小时后"),
    "btn_tomorrow": ("Tomorrow", "明天"),
    "btn_next_week": ("Next week", "下周"),
    "btn_reschedule": ("📅 Reschedule", "📅 改时间"),
    "no_customer": ("no customer", "未关联客户"),
    # button answers
    "task_done": ("✓ Done: {customer} — {task}", "✓ 已完成：{customer} — {task}"),
    "task_snoozed": ("⏰ OK, I'll remind you {when}.", "⏰ 好的，{when}再提醒你。"),
    "task_closed": ("That follow-up is already closed.", "这个跟进已经结束了。"),
    "ask_date": ("When should the follow-up be? e.g. \"Friday 3pm\" or \"下周三\".", "跟进改到什么时候？比如“下周三”或“周五下午3点”。"),
    "task_moved": ("✓ {customer}: follow-up moved to {when}.", "✓ {customer}：跟进改到 {when}。"),
    "no_reschedule": ("Reply /done {id} or send a new note with the date.", "可以 /done {id}，或发一条带日期的新记录。"),
    # morning overdue list
    "overdue_head": ("⚠️ {n} overdue follow-up(s):", "⚠️ {n} 个跟进已逾期："),
    "overdue_line": ("• {customer}: {task} (due {when})", "• {customer}：{task}（{when}到期）"),
    "more": ("… +{n} more", "……还有 {n} 个"),
    "see_tasks": ("/tasks to see them all, /done N to close one.", "发 /tasks 查看全部，/done 编号 完成。"),
    # greetings
    "holiday_head": ("{icon} {holiday} is {when}. Greet {n} customer(s):", "{icon} {when}是{holiday}，给 {n} 位客户送祝福："),
    "birthday_head": ("🎂 Birthdays coming up — {n} customer(s) to greet:", "🎂 客户生日提醒，{n} 位客户："),
    "birthday_line": ("{star} {customer} · {when}{lunar}", "{star} {customer} · {when}{lunar}"),
    "lunar_mark": (" (lunar)", "（农历）"),
    "copy_hint": ("Tap and copy:", "长按复制："),
    "greet_more": ("… +{n} more customers (same greeting).", "……还有 {n} 位客户（同样的祝福语）。"),
    # nags
    "nag_head": ("👀 {n} customer(s) need attention today:", "👀 今天有 {n} 位客户需要跟进："),
    "nag_risk": ("⚠️ {customer}: {risks}, no follow-up for {days} days", "⚠️ {customer}：{risks}，{days} 天未跟进"),
    "nag_tier": ("{star} {customer} ({tier}): silent {days} days", "{star} {customer}（{tier}）：已 {days} 天没联系"),
    "nag_gap": ("📉 {customer}: silent {days} days, usually every {gap}", "📉 {customer}：已 {days} 天没联系，平时每 {gap} 天一次"),
    "nag_hint": ("Log a note after you reach them.", "联系后记一条记录即可。"),
    # the review cycle
    "review_head": ("🔁 {n} customer(s) to review — still right?", "🔁 {n} 位客户待复盘，情况还对吗？"),
    "btn_review_active": ("✓ {customer} active", "✓ {customer} 仍有效"),
    "btn_review_tier": ("Tier", "级别"),
    "btn_review_stage": ("Stage", "阶段"),
    "btn_review_handover": ("Hand over", "交接"),
    "btn_review_drop": ("Drop", "放弃"),
    # digests
    "digest_daily": ("📊 Daily digest · {day}", "📊 日报 · {day}"),
    "digest_weekly": ("📊 Weekly digest · {start} – {end}", "📊 周报 · {start} – {end}"),
    "digest_reps": ("Notes: {reps}", "记录：{reps}"),
    "digest_tasks": ("Follow-ups: {done} done, {overdue} overdue", "跟进：完成 {done}，逾期 {overdue}"),
    "digest_new": ("New customers: {n}", "新客户：{n}"),
    "digest_won_lost": ("Won: {won} · Lost: {lost}", "成交：{won} · 丢单：{lost}"),
    "digest_won_lost_counts": ("Won: {won} deal(s) · Lost: {lost}", "成交：{won} 单 · 丢单：{lost} 单"),
    "digest_deals": ("{n} deal(s)", "{n} 单"),
    "digest_risks": ("⚠️ At risk ({n}): {names}", "⚠️ 风险客户（{n}）：{names}"),
    "digest_silent": ("⭐ Silent important ({n}): {names}", "⭐ 久未联系的重要客户（{n}）：{names}"),
    "digest_pareto": ("80/20: top {top} of {n} customers bring {share}% of revenue (12 months)", "二八：{n} 位客户中前 {top} 位贡献 {share}% 的收入（近12个月）"),
    "digest_biggest": ("💰 {share}% of won: {names}", "💰 成交额 {share}% 来自：{names}"),
    "digest_stages": ("🔄 Stage changes ({n}): {items}", "🔄 阶段变化（{n}）：{items}"),
    "digest_reviewed": ("🔁 Reviewed on time: {done}/{total} ({pct}%)", "🔁 按期复盘：{done}/{total}（{pct}%）"),
    "digest_escalated_tasks": ("🔺 Overdue > {days} days: {items}", "🔺 逾期超过 {days} 天：{items}"),
    "digest_escalated_nags": ("🔺 Unanswered nags > {days} days: {items}", "🔺 提醒超过 {days} 天未处理：{items}"),
    "digest_nothing": ("Notes: none logged.", "记录：无。"),
    "digest_chart": ("Chart: activity per rep and pipeline by stage.", "图表：每人活动量与各阶段客户数。"),
    "digest_denied": ("Only a manager or an admin can see the team digest.", "只有经理或管理员可以查看团队摘要。"),
    "chart_activity": ("Notes per rep", "每人记录数"),
    "chart_pipeline": ("Customers by stage", "各阶段客户数"),
}


def t(key: str, lang: str, **values) -> str:
    en, zh = TEXTS[key]
    return (zh if lang == "zh" else en).format(**values)


def lang_of(language: str | None) -> str:
    return "zh" if language == "zh" else "en"
