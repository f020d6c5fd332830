"""Spreadsheet formula injection on export (issue 13, medium 9): cells a spreadsheet would run are
neutralized (OWASP: a leading ') in CSV and stored as text, never formulas, in XLSX."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from storage import crm
from storage.exporter import customer_sheet, to_csv, to_xlsx
from storage.importer import Importer, import_sheet
from storage.models import Customer
from tests.conftest import SHANGHAI
from tests.helpers import rows, seed_team

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)", "\t=1+1", "\r=1+1"]


async def _sheet(app):
    async with app.db.read() as session:
        team = await crm.first_team(session)
        return await customer_sheet(session, team.id, SHANGHAI)


async def test_exported_cells_never_become_formulas(app_any_db):
    app = app_any_db
    await seed_team(app, customers=[{"name": f"c{i}", "company": text, "tags": [text]} for i, text in enumerate(HOSTILE)])
    table = await _sheet(app)
    cells = [cell for row in list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))[1:] for cell in row[1:2] + row[10:11]]
    assert sorted(cells) == sorted("'" + text for text in HOSTILE for _ in range(2))
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).active
    kinds = {cell.data_type for row in sheet.iter_rows(min_row=2) for cell in row if isinstance(cell.value, str)}
    assert "f" not in kinds
    assert sorted(cell.value for row in sheet.iter_rows(min_row=2) for cell in row[1:2]) == sorted(h.replace("\r", "\n") for h in HOSTILE)  # (XML keeps no CR)


async def test_an_exported_sheet_imports_back_unchanged(app):
    await seed_team(app, customers=[{"name": "Ann", "company": "=1+1", "phone": "+86 139 0000 1111"}])
    data = to_csv(await _sheet(app))
    async with app.db.read() as session:
        team = await crm.first_team(session)
    await import_sheet(app.db, Importer(team.id), data.replace(b"Ann", b"Bob").replace(b"1111", b"2222"), "back.csv")
    [bob] = await rows(app, Customer, Customer.name == "Bob")
    assert bob.company == "=1+1" and bob.phone.startswith("+86") and bob.phone.endswith("2222")
