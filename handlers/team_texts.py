"""What the team and privacy commands say, in English and Chinese. Phone-sized."""
from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    # (English, Chinese)
    "manager_only": ("Only an admin or a manager can do that.", "只有管理员或经理可以这样做。"),
    "admin_only": ("Only an admin can do that.", "只有管理员可以这样做。"),
    "member_unknown": ("No member called \"{q}\" in your team.", "团队里没有叫“{q}”的成员。"),
    "invite_valid": ("Valid for {days} days, once.", "{days}天内有效，只能用一次。"),
    "assign_usage": ("Usage: /assign CUSTOMER MEMBER, e.g. /assign 王伟 Alice", "用法：/assign 客户 成员，比如 /assign 王伟 小李"),
    "assign_denied": ("You can give customers only to yourself or your own reps.", "只能把客户交给你自己或你的下属。"),
    "assign_same": ("{customer} already belongs to {member}.", "{customer} 的负责人已经是 {member}。"),
    "assign_ok": ("✓ {customer} now belongs to {member} ({tasks} follow-up(s) moved).", "✓ {customer} 已交给 {member}（转交 {tasks} 个跟进）。"),
    "assigned_to_you": ("{actor} gave you customer {customer}. /customer {customer}", "{actor} 把客户 {customer} 交给了你。/customer {customer}"),
    "assigned_away": ("{actor} moved your customer {customer} to {member}.", "{actor} 把你的客户 {customer} 转给了 {member}。"),
    "handover_usage": ("Usage: /handover FROM TO — all customers and open follow-ups of FROM go to TO.", "用法：/handover 原负责人 新负责人（全部客户和待跟进一起转交）"),
    "handover_same": ("FROM and TO are the same person.", "原负责人和新负责人是同一个人。"),
    "handover_ok": ("✓ {old} → {new}: {customers} customer(s), {tasks} open follow-up(s).", "✓ {old} → {new}：{customers} 个客户，{tasks} 个待跟进。"),
    "handed_to_you": ("{actor} handed you {old}'s {customers} customer(s) and {tasks} open follow-up(s). /tasks", "{actor} 把 {old} 的 {customers} 个客户和 {tasks} 个待跟进交给了你。/tasks"),
    "handed_away": ("{actor} handed your {customers} customer(s) and {tasks} open follow-up(s) to {new}.", "{actor} 把你的 {customers} 个客户和 {tasks} 个待跟进转给了 {new}。"),
    "share_usage": ("Usage: /share CUSTOMER MEMBER (they see and edit it too)", "用法：/share 客户 成员（对方也能查看和编辑）"),
    "share_denied": ("Only the owner, their manager or an admin can share {customer}.", "只有负责人、其经理或管理员可以共享 {customer}。"),
    "share_ok": ("✓ {member} now sees {customer} too.", "✓ {member} 现在也能看到 {customer}。"),
    "share_exists": ("{member} already sees {customer}.", "{member} 已经能看到 {customer}。"),
    "shared_with_you": ("{actor} shared customer {customer} with you. /customer {customer}", "{actor} 和你共享了客户 {customer}。/customer {customer}"),
    "unshare_usage": ("Usage: /unshare CUSTOMER MEMBER", "用法：/unshare 客户 成员"),
    "unshare_ok": ("✓ {customer} is no longer shared with {member}.", "✓ {customer} 不再共享给 {member}。"),
    "unshare_none": ("{customer} is not shared with {member}.", "{customer} 没有共享给 {member}。"),
    "forget_usage": ("Usage: /forget CUSTOMER — deletes it and everything about it, for good.", "用法：/forget 客户（永久删除该客户及全部记录）"),
    "forget_denied": ("Only an admin or the owner can delete {customer}.", "只有管理员或负责人可以删除 {customer}。"),
    "forget_ask": ("Delete {customer} for good, with {notes} note(s) and {tasks} follow-up(s)? This cannot be undone.", "永久删除 {customer}，连同 {notes} 条记录和 {tasks} 个跟进？删除后无法恢复。"),
    "btn_forget": ("🗑 Delete for good", "🗑 永久删除"),
    "btn_cancel": ("Cancel", "取消"),
    "forget_ok": ("🗑 {customer} is deleted: {notes} note(s), {tasks} follow-up(s), {pushes} pending message(s).", "🗑 已删除 {customer}：{notes} 条记录，{tasks} 个跟进，{pushes} 条待发消息。"),
    "forget_cancelled": ("OK, nothing deleted.", "好的，没有删除。"),
    "pair_code": ("Code {code}: from your other messenger, send /pair {code} to this bot within {minutes} minutes.", "配对码 {code}：请在{minutes}分钟内用另一个聊天软件给机器人发送 /pair {code}。"),
    "pair_ok": ("✓ This {platform} account is now {name} in {team}; your customers and follow-ups are here too.", "✓ 这个{platform}账号已绑定为“{team}”的{name}，你的客户和跟进都在这里。"),
    "code_tries": ("Too many wrong codes. Try again in an hour, or ask your admin for a new one.", "错误的码太多了。请一小时后再试，或向管理员要新码。"),
    "pair_bad": ("That code is not valid (or expired). Send /pair on your linked account for a new one.", "配对码无效或已过期。请在已绑定的账号上发送 /pair 获取新码。"),
    "pair_taken": ("{name} already has a {platform} account linked.", "{name} 已经绑定了一个{platform}账号。"),
    "pair_member": ("This account is already a member ({name}). Ask an admin to /handover first.", "这个账号已经是成员（{name}）。请先让管理员 /handover。"),
    "pair_self": ("This account is already linked to you.", "这个账号已经绑定到你了。"),
    "remove_usage": ("Usage: /remove MEMBER — they can no longer use the bot.", "用法：/remove 成员（对方将无法再使用机器人）"),
    "remove_owns": ("{member} still has {customers} customer(s) and {tasks} open follow-up(s): /handover {member} SOMEONE first.", "{member} 还有 {customers} 个客户和 {tasks} 个待跟进：请先 /handover {member} 新负责人。"),
    "remove_self": ("You cannot remove yourself.", "不能移除你自己。"),
    "review_no_colleague": ("No colleague you may give {customer} to; an admin can /assign it.", "没有你可以交接 {customer} 的同事，请管理员用 /assign。"),
    "remove_ok": ("✓ {member} is removed from the team.", "✓ 已将 {member} 移出团队。"),
}


def t(key: str, lang: str, **values) -> str:
    en, zh = TEXTS[key]
    return (zh if lang == "zh" else en).format(**values)
