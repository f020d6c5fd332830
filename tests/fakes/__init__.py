"""Local fakes of the outside services the bot talks to, served over real HTTP on 127.0.0.1."""
