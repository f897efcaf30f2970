"""Balances: what every contract bought, used, has planned and still owes; the burn-downs;
the customer statement. For account managers, who answer "will we get all our visits?"."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from scheduler.services.dataset import contracts_frame
from scheduler.services.statements import statements, statements_csv, statements_html
from scheduler.ui.state import balances_table, book, burndown_spec, plan

SORTS = {
    "owed (most first)": ("owed", False),
    "period end (soonest first)": ("period_end", True),
    "contract": ("contract_id", True),
    "school": ("school", True),
}

st.title("Balances")
scenario = book()
if not scenario.contracts:
    st.info("The database is empty. Import a scenario on the Data page.")
    st.stop()
roster = plan()
contracts = contracts_frame(scenario).set_index("contract_id")
as_of = st.columns([1, 3])[0].date_input("Balances as of", value=date.today(), key="bal_as_of")
table = balances_table(as_of)
table.insert(2, "school", table["contract_id"].map(contracts["school"]))
table.insert(3, "package", table["contract_id"].map(contracts["package"]))

cols = st.columns([1, 2, 2, 2, 2])
at_risk = cols[0].checkbox(
    "At risk only", key="bal_at_risk", help="Owed visits no longer fit the days left in the period"
)
behind_pace = cols[0].checkbox(
    "Behind pace only",
    key="bal_behind_pace",
    help="Early warning: delivered + planned trails the even pace (may still catch up)",
)
packages = cols[1].multiselect("Package", sorted(table["package"].unique()), key="bal_packages")
schools = cols[2].multiselect(
    "School",
    sorted(table["school"].unique()),
    key="bal_schools",
)
tech_names = {t.technician_id: t.name for t in scenario.technicians}
techs = cols[3].multiselect(
    "Technician", sorted(tech_names), format_func=tech_names.__getitem__, key="bal_techs"
)
sort = cols[4].selectbox("Sort by", list(SORTS), key="bal_sort")

shown = table
if at_risk:
    shown = shown[shown["at_risk"]]
if behind_pace:
    shown = shown[shown["behind_pace"]]
if packages:
    shown = shown[shown["package"].isin(packages)]
if schools:
    shown = shown[shown["school"].isin(schools)]
if techs:
    served = {v.contract_id for v in roster if v.technician_id in techs}
    shown = shown[shown["contract_id"].isin(served)]
column, ascending = SORTS[sort or "owed (most first)"]
shown = shown.sort_values([column, "contract_id"], ascending=[ascending, True])
st.caption(
    f"{len(shown)} of {len(table)} contracts · {int(table['at_risk'].sum())} at risk "
    f"(owed visits no longer fit) · {int(table['behind_pace'].sum())} behind the even pace"
)
st.dataframe(shown, hide_index=True, width="stretch", key="bal_table")

st.subheader("Burn-down")
scheduled = [c for c in scenario.contracts if c.is_scheduled]
chart_left, chart_right = st.columns(2)
with chart_left:
    if scheduled:
        choices = sorted(c.contract_id for c in scheduled)
        visible = [c for c in shown["contract_id"] if c in set(choices)]
        chosen = st.selectbox(
            "Contract",
            visible or choices,
            format_func=lambda cid: f"{cid} · {contracts.loc[cid, 'school']}",
            key="bal_contract",
        )
        contract = scenario.contract(chosen or choices[0])
        st.vega_lite_chart(
            burndown_spec(
                contract.contract_id,
                f"{contract.contract_id}: {contracts.loc[contract.contract_id, 'school']}",
                contract.end_date,
            ),
            width="stretch",
            key="bal_contract_chart",
        )
    else:
        st.caption("No contract buys scheduled visits.")
with chart_right:
    st.vega_lite_chart(burndown_spec(None, "Whole book"), width="stretch", key="bal_book_chart")

st.subheader("Customer statement")
school_names = {s.school_id: s.name for s in scenario.schools}
cols = st.columns(3)
school_id = cols[0].selectbox(
    "School", sorted(school_names), format_func=school_names.__getitem__, key="bal_stmt_school"
)
start = cols[1].date_input("From", value=as_of - timedelta(days=90), key="bal_stmt_from")
end = cols[2].date_input("To", value=as_of, key="bal_stmt_to")
if school_id is not None:
    if start > end:
        st.error(f"'From' ({start}) must be on or before 'To' ({end}).")
    else:
        items = statements(scenario, roster, start, end, [school_id])
        stem = f"statement-{school_id}-{start}-{end}"
        left, right = st.columns(2)
        left.download_button(
            "Download CSV",
            statements_csv(items),
            file_name=f"{stem}.csv",
            mime="text/csv",
            key="bal_stmt_csv",
        )
        right.download_button(
            "Download printable HTML",
            statements_html(items),
            file_name=f"{stem}.html",
            mime="text/html",
            key="bal_stmt_html",
        )
