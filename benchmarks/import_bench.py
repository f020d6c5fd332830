"""Import: a 100k-row CSV with duplicates (same phone, same email, same name at the same company) into SQLite."""
from __future__ import annotations

import asyncio
import random
import tempfile
import time
from pathlib import Path

from bot.settings import Settings
from bot.wiring import build_app
from storage import crm
from storage.importer import Importer, import_sheet

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"


def make_csv(rows: int, duplicate_share: float = 0.1, seed: int = 3) -> bytes:
    rng = random.Random(seed)
    lines = ["客户名称,公司,手机,邮箱,等级"]
    unique = int(rows * (1 - duplicate_share))
    people = []
    for i in range(unique):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        people.append((name, f"{name[0]}氏公司{i}", f"139{i:08d}", f"c{i}@example.com" if i % 3 == 0 else ""))
    for p in people:
        lines.append(",".join((*p, "普通")))
    for _ in range(rows - unique):  # duplicates: same phone, or same name and company
        name, company, phone, email = rng.choice(people)
        lines.append(",".join((name, company, phone if rng.random() < 0.5 else "", email, "重要")))
    return ("\n".join(lines) + "\n").encode("gbk")


async def run(rows: int = 100_000) -> dict:
    data = make_csv(rows)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Settings(database_url=f"sqlite:///{tmp}/i.db", data_dir=Path(tmp)))
        try:
            async with app.db.write() as session:
                team = await crm.create_team(session, "bench")
            start = time.perf_counter()
            summary = await import_sheet(app.db, Importer(team.id), data, "big.csv")
            elapsed = time.perf_counter() - start
        finally:
            await app.close()
    return {"rows": rows, "imported": summary.imported, "merged": summary.merged, "rejected": len(summary.rejected), "seconds": round(elapsed, 1)}


def main() -> dict:
    return asyncio.run(run())


if __name__ == "__main__":
    print(main())
