"""WeCom 企业微信: a self-built app's callback URL (encrypted XML in) and its message API (out)."""
