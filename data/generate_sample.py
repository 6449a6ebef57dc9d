"""Generate the bundled sample data: a backlog and a capacity workbook for a healthcare product org.

Run ``python data/generate_sample.py`` to (re)write, next to this script:

- ``sample_backlog.xlsx``: one sheet ``Backlog`` with the canonical headers of SPEC section 1;
- ``sample_capacity.xlsx``: the sheets of SPEC section 2 (people, sprints, ooo, oncall, holidays, teams);
- ``sample_backlog_jira.csv``: the same backlog as a Jira Cloud "Export CSV (all fields)" file.

The output is deterministic: a seeded ``random.Random`` fills in sizes, scores and dates, and the
workbooks are saved with fixed timestamps, so running the script twice gives byte-identical files.

The backlog deliberately contains things a planner must cope with: items too big for any sprint,
unestimated items, a Done prerequisite, a prerequisite that is Won't, a deadline no sprint can meet,
malformed milestone names, near-duplicate titles, stale items, Unicode and a title that looks like a
spreadsheet formula. Every Must and pinned item fits the first sprint, so the sample plans with the
default settings.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring

SEED = 20261130
EXPORTED_AT = dt.datetime(2026, 11, 24, 16, 30)  # when the "export" was taken: just before Sprint 27
ZIP_TIMESTAMP = (2026, 11, 24, 0, 0, 0)
RECENT_UPDATE_DAYS = 60  # items not deliberately stale were touched within this many days

BACKLOG_FILE = "sample_backlog.xlsx"
CAPACITY_FILE = "sample_capacity.xlsx"
JIRA_FILE = "sample_backlog_jira.csv"

ID_PREFIX = "CARE-"
FIRST_ID = 101
FIRST_JIRA_ISSUE_ID = 24100

# --------------------------------------------------------------------------------------------------
# Capacity
# --------------------------------------------------------------------------------------------------

# team, velocity (points per sprint at full availability), focus factor
TEAMS = [
    ("pod-scale", 34, 0.8),
    ("pod-encounters", 38, 0.75),
    ("pod-protocols", 21, 0.85),
    ("pod-platform", 18, 0.7),
]

# name, team, skills, allocation (None = default 1), days_per_sprint (None = from the calendar)
PEOPLE = [
    ("Maya Patel", "pod-scale", "backend", 1, None),
    ("Jonas Weber", "pod-scale", "backend, data", 1, None),
    ("Lucía Fernández", "pod-scale", "frontend", 1, None),
    ("Tomás Herrera", "pod-scale", "ios", 1, None),
    ("Priya Raman", "pod-scale", "design", 0.5, None),  # shared designer, half time
    ("Daniel Okafor", "pod-encounters", "backend", 1, None),
    ("Sofia Lindqvist", "pod-encounters", "backend", 0.8, None),  # 80%: 4-day week
    ("Hannah Kim", "pod-encounters", "ios", 1, None),
    ("Mateo Rossi", "pod-encounters", "ios, frontend", 1, None),
    ("Grace Liu", "pod-encounters", "design, frontend", 1, None),
    ("Samuel Adeyemi", "pod-protocols", "backend", 1, None),
    ("Chloé Martin", "pod-protocols", "frontend", 1, None),
    ("Emma Johansson", "pod-protocols", "design, frontend", 1, None),
    ("Aisha Rahman", "pod-platform", "backend, data", 1, None),
    ("Olivia Brown", "pod-platform", "backend", 1, None),
    ("Kenji Sato", "pod-platform", "data", None, 6),  # contractor: 6 days per sprint
]

# sprint, first day, last day (inclusive)
SPRINTS = [
    ("Sprint 27", dt.date(2026, 11, 30), dt.date(2026, 12, 11)),
    ("Sprint 28", dt.date(2026, 12, 14), dt.date(2026, 12, 25)),
    ("Sprint 29", dt.date(2026, 12, 28), dt.date(2027, 1, 8)),
]

# date, team (None = everyone), name
HOLIDAYS = [
    (dt.date(2026, 11, 26), None, "Thanksgiving"),
    (dt.date(2026, 12, 25), None, "Christmas Day"),
    (dt.date(2027, 1, 1), None, "New Year's Day"),
]

# name, first day, last day (inclusive)
OOO = [
    ("Daniel Okafor", dt.date(2026, 12, 3), dt.date(2026, 12, 4)),
    ("Lucía Fernández", dt.date(2026, 12, 9), dt.date(2026, 12, 16)),  # crosses Sprint 27 -> 28
    ("Aisha Rahman", dt.date(2026, 12, 14), dt.date(2026, 12, 18)),
    ("Priya Raman", dt.date(2026, 12, 21), dt.date(2026, 12, 24)),
    ("Hannah Kim", dt.date(2026, 12, 21), dt.date(2027, 1, 1)),  # over Christmas and New Year
    ("Samuel Adeyemi", dt.date(2026, 12, 24), dt.date(2026, 12, 31)),  # over Christmas
    ("Chloé Martin", dt.date(2026, 12, 28), dt.date(2027, 1, 8)),  # all of Sprint 29
    ("Mateo Rossi", dt.date(2027, 1, 4), dt.date(2027, 1, 5)),
]

# Claims on-call: a weekly rotation (Monday..Sunday) among the backend engineers of the two pods
# whose work produces claims. load None = use the app's on-call slider.
ONCALL_FIRST_MONDAY = dt.date(2026, 11, 30)
ONCALL_ROTATION = [
    ("Maya Patel", 0.5),
    ("Daniel Okafor", 0.5),
    ("Jonas Weber", None),
    ("Sofia Lindqvist", 0.5),
    ("Maya Patel", 0.5),
    ("Daniel Okafor", None),
]

# --------------------------------------------------------------------------------------------------
# Backlog
# --------------------------------------------------------------------------------------------------

BACKLOG_HEADERS = [
    "id", "title", "type", "team", "initiative", "milestone", "milestone_type",
    "effort:backend", "effort:frontend", "effort:ios", "effort:design", "effort:data",
    "business_value", "time_criticality", "risk_reduction", "priority", "moscow", "depends_on",
    "deadline", "status", "sprint", "labels", "description", "acceptance_criteria", "created",
    "updated",
]
SKILLS = ["backend", "frontend", "ios", "design", "data"]
WSJF_SCALE = [1, 2, 3, 5, 8, 13, 20]
WSJF_WEIGHTS = [10, 18, 22, 20, 14, 10, 6]
PRIMARY_SIZES = [0.5, 1, 1, 1.5, 2, 2, 3, 3, 4, 5, 6, 8]  # person-days for an item's main skill
SECONDARY_SIZES = [0.5, 1, 1, 1.5, 2, 3]  # person-days for a second skill
UNESTIMATED = "?"  # effort spec of an item nobody has sized yet

MILESTONE_TYPES = {
    "eng": "eng build milestone",
    "pilot": "Released to Pilot",
    "ga": "Released to GA",
}

# initiative -> (owning team, {milestone key: description}, one-line rationale, labels)
INITIATIVES = {
    "Scale Onboarding": (
        "pod-scale",
        {"eng": "Cellular scale pairing", "pilot": "Two pilot clinics enrolled",
         "ga": "Self-serve onboarding for all clinics"},
        "Clinics lose two to three weeks of billable monitoring when scale setup stalls.",
        ["rpm"],
    ),
    "Claims Automation": (
        "pod-scale",
        {"eng": "837P generation for RPM codes", "pilot": "Billing team works the queue",
         "ga": "Hands-off claims for all payers"},
        "Billing staff re-key every remote-monitoring claim by hand; denials take weeks to notice.",
        ["claims"],
    ),
    "Encounter Notes v2": (
        "pod-encounters",
        {"eng": "Structured note model", "pilot": "Pilot with Riverside Family Clinic",
         "ga": "Notes v2 for every clinic"},
        "Clinicians spend 40% of a visit documenting; v1 notes are free text and hard to bill from.",
        ["notes"],
    ),
    "Protocol Builder": (
        "pod-protocols",
        {"eng": "Protocol engine", "pilot": "Care team authors first protocols",
         "ga": "Protocol library for all clinics"},
        "Care protocols live in PDFs today; nurses cannot tell which step a patient is on.",
        ["protocols"],
    ),
    "Data Platform Migration": (
        "pod-platform",
        {"eng": "Warehouse foundations", "pilot": "Pod leads on self-serve dashboards",
         "ga": "Legacy reporting retired"},
        "Reports run on a replica of production; every heavy query slows the clinician app.",
        ["data-platform"],
    ),
}

# Milestone names that break the "{Initiative} | {Milestone Type} | {Description}" rule, for the
# refinement check: key -> (milestone as written, milestone_type as a human filled it in).
MALFORMED_MILESTONES = {
    "bad-separator": ("Encounter Notes v2 - Released to Pilot - Voice dictation", None),
    "unknown-type": ("Protocol Builder | Beta | Template library", "Beta"),
    "no-description": ("Scale Onboarding | Released to GA", "Released to GA"),
}

# Story tables, one per initiative: (key, milestone key, title, effort spec, extras).
# Effort spec: space-separated skills, each optionally ``skill:days``; without days the seeded
# generator picks a size; the first skill is the main one. ``UNESTIMATED`` = not sized yet.
# Extras (all optional): team, deps (keys), moscow, status, deadline, sprint, carried_over, stale
# (last update), no_description, no_acceptance, relates (key), labels (added), assignee, type.
STORIES = {
    "Scale Onboarding": [
        ("S1", "eng", "Cellular scale pairing API (device ↔ patient)", "backend:3",
         {"moscow": "Must", "status": "In Progress"}),
        ("S2", "eng", "Provisioning webhook from the scale vendor", "backend", {"deps": ["S1"]}),
        ("S3", "eng", "Scale pairing screen in the clinician web app", "frontend backend",
         {"deps": ["S1"]}),
        ("S4", "eng", "iOS: scan the scale serial number with the camera", "ios", {}),
        ("S5", "eng", "Onboarding flow for patients without a smartphone", "design", {"type": "design"}),
        ("S6", "pilot", "Enrollment checklist for pilot clinics", "frontend backend",
         {"deadline": dt.date(2026, 12, 23)}),
        ("S7", "pilot", "First-reading confirmation SMS to the patient", "backend", {"deps": ["S2"]}),
        ("S8", "pilot", "Clinic onboarding dashboard: readings received per patient", "frontend data", {}),
        ("S9", "pilot", "Backfill historic readings after a late pairing", "backend data", {}),
        ("S10", "ga", "Self-serve clinic onboarding wizard", "frontend design", {"deps": ["S5", "S6"]}),
        ("S11", "no-description", "Bulk import patients from CSV for onboarding", "backend frontend", {}),
        ("S12", "ga", "Unpair and re-pair a scale when a patient swaps devices", "backend ios",
         {"deps": ["S1", "S4"]}),
        ("S13", "ga", "Onboarding funnel analytics", UNESTIMATED, {"no_acceptance": True}),
        ("S14", "ga", "Spanish translations for onboarding SMS", "backend",
         {"stale": dt.datetime(2025, 10, 2, 10, 12)}),
    ],
    "Claims Automation": [
        ("C1", "eng", "Generate 837P claim files for RPM codes 99453/99454", "backend:3",
         {"moscow": "Must", "status": "In Progress"}),
        ("C2", "eng", "Eligibility check (270/271) before claim submission", "backend", {}),
        ("C3", "eng", "Claims ledger schema and migrations", "backend:3 data:2",
         {"team": "pod-platform", "status": "In Progress", "sprint": "Sprint 27", "carried_over": True}),
        ("C4", "eng", "Migrate the claims engine to an event-sourced ledger", "backend:15 data:3",
         {"team": "pod-platform"}),
        ("C5", "eng", "Parse 835 remittance files and match payments", "backend data", {"deps": ["C3"]}),
        ("C6", "pilot", "Claims work queue for the billing team", "frontend design", {"deps": ["C14"]}),
        ("C7", "pilot", "Map denial reason codes to next actions", "backend", {"deps": ["C1"]}),
        ("C8", "pilot", "Auto-resubmit claims rejected for a missing NPI", "backend",
         {"deps": ["C1", "C7"], "deadline": dt.date(2026, 12, 24)}),
        ("C9", "pilot", "16-day reading threshold check for 99454", "data backend", {}),
        ("C10", "ga", "Payer-specific claim rules editor", "frontend backend", {}),
        ("C11", "ga", "Claims reconciliation report for finance", "data", {"team": "pod-platform"}),
        ("C12", "ga", "Clearinghouse failover (Availity → Change Healthcare)", "backend",
         {"moscow": "Won't"}),
        ("C13", "ga", "Audit trail for manual claim edits", "backend", {}),
        ("C14", "eng", "Claim status timeline", "design", {"type": "design"}),
    ],
    "Encounter Notes v2": [
        ("E1", "eng", "Structured SOAP note model (API v2)", "backend:5", {"status": "Done"}),
        ("E2", "eng", "iOS note editor with offline drafts", "ios:5",
         {"deps": ["E1"], "status": "In Progress", "sprint": "Sprint 27", "carried_over": True}),
        ("E3", "eng", "Web note editor: sections and templates", "frontend:4",
         {"deps": ["E1"], "moscow": "Must", "status": "In Progress"}),
        ("E4", "eng", "Note editor v2 interaction spec", "design:3", {"type": "design", "status": "Done"}),
        ("E5", "eng", "Autosave and conflict resolution for concurrent edits", "backend ios",
         {"deps": ["E2"]}),
        ("E6", "bad-separator", "Voice dictation for encounter notes", "ios:18 backend:2", {}),
        ("E7", "pilot", "Sign and lock encounter notes", "backend:2 frontend:2",
         {"deps": ["E1"], "moscow": "Must"}),
        ("E8", "pilot", "Export encounter note as PDF", "backend", {"relates": "E9"}),
        ("E9", "pilot", "Export encounter notes to PDF", "backend frontend",
         {"relates": "E8", "no_acceptance": True}),
        ("E10", "pilot", "Co-sign workflow for the supervising physician", "backend frontend",
         {"deps": ["E7"]}),
        ("E11", "ga", "Addendum to a signed note", "backend ios", {"deps": ["E7"]}),
        ("E12", "ga", "Smart phrases (dot phrases) in the note editor", "frontend", {}),
        ("E13", "ga", "Note templates per specialty", "frontend design", {}),
        ("E14", "ga", "Push signed notes to the EHR via HL7 MDM^T02", "backend", {}),
        ("E15", "ga", "iPad split-view support for notes", "ios", {"moscow": "Won't"}),
        ("E16", "ga", "Accessibility audit of the note editor (VoiceOver)", "ios design", {}),
        ("E17", "eng", "Migrate v1 notes to the v2 model", "backend data", {}),
        ("E18", "ga", "Search notes by ICD-10 code", UNESTIMATED, {"no_description": True}),
    ],
    "Protocol Builder": [
        ("P1", "eng", "Protocol schema: steps, branches, thresholds", "backend:3",
         {"moscow": "Must", "status": "In Progress"}),
        ("P2", "eng", "Rebuild the protocol editor canvas", "frontend:18 design:2", {}),
        ("P3", "eng", "Protocol builder visual language", "design",
         {"type": "design", "status": "In Progress"}),
        ("P4", "eng", "Threshold alert rules engine", "backend", {"deps": ["P1"]}),
        ("P5", "pilot", "Protocol versioning and publish flow", "backend frontend", {"deps": ["P1"]}),
        ("P6", "pilot", "Assign a protocol to a patient cohort", "backend frontend", {"deps": ["P5"]}),
        ("P7", "unknown-type", "Preview a protocol as the patient sees it", "frontend", {}),
        ("P8", "pilot", "Clinical review sign-off before publishing", "frontend backend", {}),
        ("P9", "unknown-type", "Protocol template library", "frontend design", {"deps": ["P3"]}),
        ("P10", "ga", "Import a protocol from a spreadsheet", "backend", {}),
        ("P11", "ga", "Protocol analytics: adherence by step", "data", {"team": "pod-platform"}),
        ("P12", "ga", "Undo and redo in the protocol editor", "frontend",
         {"stale": dt.datetime(2026, 1, 15, 14, 40)}),
        ("P13", "eng", "Protocol step library API", "backend", {}),
        ("P14", "ga", "Localise protocol content (es, fr)", UNESTIMATED, {"no_acceptance": True}),
    ],
    "Data Platform Migration": [
        ("D1", "eng", "Move the nightly ETL from cron to Airflow", "data", {"status": "In Progress"}),
        ("D2", "eng", "Warehouse tables for claims and encounters", "data backend", {}),
        ("D3", "eng", "PHI column tagging and masking in the warehouse", "data:3 backend:1",
         {"moscow": "Must", "labels": ["hipaa"]}),
        ("D4", "pilot", "Self-serve dashboards for pod leads", "data", {}),
        ("D5", "pilot", "Data retention jobs (HIPAA 6-year rule)", "backend data", {}),
        ("D6", "ga", "Decommission the legacy reporting database", "backend data", {"moscow": "Won't"}),
        ("D7", "eng", "Kafka topic for scale readings", "backend:2", {"status": "Done"}),
        ("D8", "ga", "Row-level access for clinic partners", UNESTIMATED, {"no_acceptance": True}),
        ("D9", "pilot", "Data quality checks on the readings pipeline", "data", {"deps": ["D1"]}),
        ("D10", "eng", "Backfill two years of readings into the warehouse", "data:5", {}),
    ],
}

# Work outside the initiatives: (key, type, team (None = any team), title, effort spec, extras).
OTHER_WORK = [
    # bugs
    ("B1", "bug", "pod-scale", "Weight readings shown in kg for US clinics", "frontend", {}),
    ("B2", "bug", "pod-scale", "Duplicate reading when the scale retries an upload", "backend",
     {"labels": ["customer-reported"]}),
    ("B3", "bug", "pod-encounters", "Note editor loses the cursor position after autosave", "ios:2",
     {"moscow": "Must", "labels": ["customer-reported"]}),
    ("B4", "bug", "pod-encounters", "PDF export cuts off long medication lists", "backend",
     {"relates": "E8"}),
    ("B5", "bug", "pod-protocols", "Protocol preview crashes on an empty branch", "frontend", {}),
    ("B6", "bug", "pod-scale", "Readings after 11 pm counted on the next day (timezone)",
     "backend:1.5 data:1", {"moscow": "Must", "status": "In Progress", "labels": ["claims"]}),
    ("B7", "bug", None, "Claims CSV export escapes commas incorrectly", "backend", {"labels": ["claims"]}),
    ("B8", "bug", "pod-encounters", "iOS 18: keyboard covers the Save button on small phones", "ios", {}),
    ("B9", "bug", "pod-platform", "Login loop for SSO users with an expired session", "backend:2",
     {"moscow": "Must", "status": "In Progress", "labels": ["customer-reported"]}),
    ("B10", "bug", "pod-encounters", "Patient search ignores accents: José, Zoë Müller, 李伟 😕",
     "backend", {}),
    ("B11", "bug", "pod-scale", "Weight chart y-axis always starts at 0", "frontend",
     {"stale": dt.datetime(2025, 8, 20, 11, 5), "no_acceptance": True}),
    ("B12", "bug", "pod-platform", "Patient list takes 9 s to load for clinics with 5,000+ patients",
     "backend", {}),
    ("B13", "bug", "pod-scale", "Wrong rendering-provider NPI on resubmitted claims", "backend",
     {"labels": ["claims"]}),
    ("B14", "bug", "pod-encounters", "Push notification deep link opens the wrong patient", "ios", {}),
    ("B15", "bug", None, '=HYPERLINK("http://example.com","click")', "backend:0.5",
     {"no_acceptance": True}),
    # tech debt
    ("T1", "tech debt", "pod-platform", "Upgrade Django 4.2 to 5.2", "backend", {}),
    ("T2", "tech debt", None, "Remove feature flags older than six months", "backend frontend", {}),
    ("T3", "tech debt", "pod-protocols", "Replace Moment.js with date-fns", "frontend", {}),
    ("T4", "tech debt", "pod-encounters", "Swift 6 strict concurrency in the notes module", "ios", {}),
    ("T5", "tech debt", "pod-scale", "Fix flaky end-to-end tests in the claims suite", "backend",
     {"status": "In Progress", "labels": ["claims"]}),
    ("T6", "tech debt", "pod-platform", "Remove legacy reporting credentials from the secrets manager",
     "backend:1", {"deps": ["D6"]}),
    ("T7", "tech debt", "pod-platform", "Upgrade Postgres 13 to 16", "backend:5 data:2",
     {"deadline": dt.date(2027, 1, 6)}),
    ("T8", "tech debt", None, "Consolidate the three date-picker components", "frontend", {}),
    # design
    ("G1", "design", None, "Dark mode colour tokens for the design system", "design", {}),
    ("G2", "design", "pod-scale", "Usability test: clinician onboarding (5 sessions)", "design", {}),
    ("G3", "design", "pod-encounters", "Icon set refresh", "design", {"moscow": "Won't"}),
    ("G4", "design", None, "Colour contrast audit (WCAG 2.2 AA)", UNESTIMATED, {"no_description": True}),
    # compliance
    ("K1", "compliance", None, "Resubmit quarterly HEDIS report", "data:3",
     {"moscow": "Must", "status": "In Progress", "deadline": dt.date(2026, 12, 18), "labels": ["hedis"]}),
    ("K2", "compliance", None, "Resubmit state Medicaid report (Texas)", "data:2 backend:1",
     {"moscow": "Must", "deadline": dt.date(2026, 12, 31), "labels": ["medicaid"]}),
    ("K3", "compliance", "pod-platform", "Annual HIPAA access review export", "backend:1.5",
     {"moscow": "Must", "deadline": dt.date(2026, 12, 15), "labels": ["hipaa"]}),
    ("K4", "compliance", "pod-platform", "SOC 2 evidence for change-management controls", "backend",
     {"deadline": dt.date(2027, 1, 8), "labels": ["soc2"]}),
    ("K5", "compliance", None, "Update the BAA subprocessor list in the app footer", "frontend:0.5",
     {"labels": ["hipaa"]}),
    # claims on-call
    ("O1", "claims on-call", None, "Investigate the rejected Availity claims batch of 20 Nov",
     "backend:2", {"moscow": "Must", "status": "In Progress"}),
    ("O2", "claims on-call", "pod-scale", "Re-run 99457 claims for clinics with late readings",
     "backend data", {"deps": ["B6"]}),
    ("O3", "claims on-call", "pod-scale", "Payer ID change for Aetna Better Health", "backend:1",
     {"deadline": dt.date(2026, 12, 4)}),  # before Sprint 27 ends: no sprint can meet it
    ("O4", "claims on-call", "pod-encounters", "Answer billing questions on the December cut-off",
     "backend:1", {"sprint": "Sprint 26", "status": "In Progress"}),  # left over from a past sprint
    ("O5", "claims on-call", None, "Claim stuck in 'Pending' after an 835 import", "backend",
     {"deadline": dt.date(2026, 11, 20), "status": "In Progress"}),  # overdue: its deadline has passed
    ("O6", "claims on-call", None, "Monthly claims health check (December)", "backend data",
     {"no_description": True}),
    # feedback and oddities
    ("X1", "story", "pod-scale", "+1 from four clinics: bulk discharge patients from a program",
     "frontend backend", {"labels": ["customer-reported"]}),
    ("X2", "story", "pod-scale", "Welcome screen in more languages: Bienvenue, Willkommen, ようこそ 👋",
     "ios design", {}),
    ("X3", "story", "pod-encounters", "Show the patient's preferred pronouns in the note header",
     "frontend ios", {"no_description": True}),
]

TYPE_LABELS = {
    "bug": [],
    "tech debt": ["tech-debt"],
    "design": ["ux"],
    "compliance": ["compliance"],
    "claims on-call": ["claims", "oncall"],
}

# Jira spells issue types in title case.
JIRA_ISSUE_TYPES = {
    "story": "Story",
    "bug": "Bug",
    "tech debt": "Tech Debt",
    "design": "Design",
    "compliance": "Compliance",
    "claims on-call": "Claims On-Call",
}

REPORTERS = {
    "pod-scale": "Nadia Haddad",
    "pod-encounters": "Chris Ortega",
    "pod-protocols": "Yuki Tanaka",
    "pod-platform": "Ben Adler",
    None: "Rebecca Stone",
}

DESCRIPTION_TEMPLATES = {
    "story": "{title}.\n\nPart of {initiative}: {rationale}",
    "bug": ('Steps to reproduce:\n1. Sign in as a clinician at "Riverside Family Clinic"\n'
            "2. Open the affected screen and repeat the action\n\n"
            "Expected: works as designed.\nActual: {title}."),
    "tech debt": "{title}. No user-visible change; lowers upgrade risk and on-call noise.",
    "design": "{title}.\n\nDeliverables: Figma file, annotated flows, hand-off notes for engineering.",
    "compliance": ("{title}.\n\nRegulatory deadline; compliance owns the submission, engineering "
                   "pulls and checks the data."),
    "claims on-call": ("Raised in #claims-oncall: {title}.\n\nTriage, fix or hand off; "
                       "log findings in the on-call doc."),
}

# Extra notes appended to some descriptions: multi-line, with quotes and commas.
DESCRIPTION_NOTES = [
    'Notes from the pilot call:\n- "Can we have this before the holidays?", asked the clinic manager\n'
    "- Billing, not clinicians, will use this first",
    'Open questions:\n1. Medicare Advantage plans too, or only traditional Medicare?\n'
    '2. Who signs off: "clinical lead" or "medical director"?',
    'From support tickets #4411, #4420 and #4437:\n"Patients keep asking why the scale and the app '
    'show different weights."',
]

ACCEPTANCE_TEMPLATES = {
    "story": [
        ("- [ ] Works on web and iOS\n- [ ] Audit log entry for every change\n"
         "- [ ] Behind a feature flag, off by default"),
        ("Given a clinician with access to the patient\nWhen they complete the flow\n"
         "Then the result is saved and visible on web and iOS"),
        "- [ ] Empty, loading and error states\n- [ ] Copy reviewed by design\n- [ ] Analytics event fired",
    ],
    "bug": [
        "- [ ] Regression test added\n- [ ] Verified on staging with the customer's data",
        "- [ ] Fixed for all affected clinics\n- [ ] Support tickets answered",
    ],
    "tech debt": ["- [ ] No behaviour change: existing tests pass\n- [ ] Runbook updated"],
    "design": ["- [ ] Figma file linked\n- [ ] Reviewed with engineering and a clinician"],
    "compliance": ["- [ ] Submitted before the due date\n- [ ] Confirmation stored in the compliance folder"],
    "claims on-call": ["- [ ] Root cause in the on-call log\n- [ ] Billing team told in #claims-oncall"],
}

JIRA_HEADERS = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority", "Assignee", "Reporter",
    "Created", "Updated", "Due date", "Sprint", "Sprint", "Labels", "Labels", "Labels",
    "Custom field (Story Points)", "Custom field (Team)", "Custom field (Business Value)",
    "Custom field (Time Criticality)", "Custom field (Risk Reduction)", "Custom field (MoSCoW)",
    "Epic Link", "Custom field (Milestone)", "Inward issue link (Blocks)",
    "Inward issue link (Blocks)", "Outward issue link (Relates)", "Description",
    "Custom field (Acceptance Criteria)",
]
JIRA_SPRINT_COLUMNS = 2
JIRA_LABEL_COLUMNS = 3
JIRA_BLOCKS_COLUMNS = 2
JIRA_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
CARRIED_OVER_FROM = "Sprint 26"

# Column widths (characters) for the workbooks; unlisted columns get DEFAULT_WIDTH.
DEFAULT_WIDTH = 12
BACKLOG_WIDTHS = {
    "id": 10, "title": 52, "type": 14, "team": 15, "initiative": 24, "milestone": 58,
    "milestone_type": 20, "priority": 10, "moscow": 9, "depends_on": 20, "status": 12,
    "sprint": 10, "labels": 28, "description": 60, "acceptance_criteria": 50, "created": 17,
    "updated": 17,
}
CAPACITY_WIDTHS = {"name": 20, "team": 16, "skills": 18, "days_per_sprint": 15, "focus_factor": 13}
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

# --------------------------------------------------------------------------------------------------
# Building the backlog
# --------------------------------------------------------------------------------------------------


def parse_effort(spec: str, rng: random.Random) -> dict[str, float]:
    """Turn an effort spec (``"backend:3 data"``) into ``{skill: days}``; sizes drawn when not given."""
    if spec == UNESTIMATED:
        return {}
    efforts = {}
    for position, token in enumerate(spec.split()):
        skill, _, days = token.partition(":")
        if skill not in SKILLS:
            raise ValueError(f"unknown skill {skill!r} in effort spec {spec!r}")
        sizes = PRIMARY_SIZES if position == 0 else SECONDARY_SIZES
        efforts[skill] = float(days) if days else float(rng.choice(sizes))
    return efforts


def wsjf_scores(extras: dict, rng: random.Random) -> tuple[int, int, int]:
    """Business value, time criticality and risk reduction on the 1..20 WSJF scale."""
    def draw(minimum: int = 1) -> int:
        return rng.choices(WSJF_SCALE, WSJF_WEIGHTS)[0] if minimum == 1 else rng.choice(
            [value for value in WSJF_SCALE if value >= minimum])

    moscow = extras.get("moscow")
    if moscow == "Must":
        return draw(8), draw(5), draw(3)
    if moscow == "Won't":
        return rng.choice([1, 2, 3]), 1, rng.choice([1, 2])
    time_criticality = draw(8) if "deadline" in extras else draw()
    return draw(), time_criticality, draw()


def priority_for(cost_of_delay: int, moscow: str) -> str:
    """Jira priority, loosely following the cost of delay, as a product manager would set it."""
    if moscow == "Must":
        return "Highest" if cost_of_delay >= 30 else "High"
    if moscow == "Won't":
        return "Lowest"
    if moscow == "Could":
        cost_of_delay = min(cost_of_delay, 29)  # nice to have: never Highest
    for threshold, priority in ((30, "Highest"), (18, "High"), (9, "Medium"), (5, "Low")):
        if cost_of_delay >= threshold:
            return priority
    return "Lowest"


def random_timestamp(rng: random.Random, first: dt.date, last: dt.date) -> dt.datetime:
    """A working-hours timestamp on a day between ``first`` and ``last`` (inclusive)."""
    day = first + dt.timedelta(days=rng.randint(0, (last - first).days))
    return dt.datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.choice(range(0, 60, 5)))


def created_and_updated(extras: dict, rng: random.Random) -> tuple[dt.datetime, dt.datetime]:
    """When the item was created and last updated; stale items were last touched long ago."""
    if "stale" in extras:
        updated = extras["stale"]
        created = updated - dt.timedelta(days=rng.randint(5, 60), hours=rng.randint(0, 3))
        return created, updated
    if extras.get("status") == "Done":
        created = random_timestamp(rng, dt.date(2026, 8, 1), dt.date(2026, 10, 15))
        updated = random_timestamp(rng, dt.date(2026, 11, 10), dt.date(2026, 11, 23))
        return created, updated
    created = random_timestamp(rng, dt.date(2026, 4, 1), dt.date(2026, 11, 20))
    recent_days = 14 if extras.get("status") == "In Progress" else RECENT_UPDATE_DAYS
    earliest_update = max(created.date(), EXPORTED_AT.date() - dt.timedelta(days=recent_days))
    updated = random_timestamp(rng, earliest_update, EXPORTED_AT.date() - dt.timedelta(days=1))
    return created, max(created, updated)


def milestone_for(initiative: str, key: str | None) -> tuple[str | None, str | None]:
    """The milestone name and type for a milestone key (``eng``/``pilot``/``ga`` or malformed)."""
    if key is None:
        return None, None
    if key in MALFORMED_MILESTONES:
        return MALFORMED_MILESTONES[key]
    milestone_type = MILESTONE_TYPES[key]
    description = INITIATIVES[initiative][1][key]
    return f"{initiative} | {milestone_type} | {description}", milestone_type


def item_labels(item_type: str, initiative: str | None, milestone_key: str | None, extras: dict,
                unestimated: bool) -> list[str]:
    """Up to three labels: the type's, the initiative's, pilot work, extras, needs-refinement."""
    labels = list(TYPE_LABELS.get(item_type, []))
    if initiative:
        labels += INITIATIVES[initiative][3]
    if milestone_key == "pilot":
        labels.append("pilot")
    labels += extras.get("labels", [])
    if unestimated:
        labels.append("needs-refinement")
    unique = list(dict.fromkeys(labels))
    return unique[:JIRA_LABEL_COLUMNS]


def description_for(item_type: str, title: str, initiative: str | None, extras: dict,
                    rng: random.Random) -> str | None:
    """A short description from the item's type, sometimes with multi-line notes appended."""
    with_notes = rng.random() < 0.25
    note = rng.choice(DESCRIPTION_NOTES)
    if extras.get("no_description"):
        return None
    if item_type != "story":
        template = DESCRIPTION_TEMPLATES[item_type]
    elif initiative:
        template = DESCRIPTION_TEMPLATES["story"]
    else:
        template = "{title}."
    rationale = INITIATIVES[initiative][2] if initiative else ""
    text = template.format(title=title.rstrip("."), initiative=initiative, rationale=rationale)
    return f"{text}\n\n{note}" if with_notes else text


def acceptance_for(item_type: str, extras: dict, unestimated: bool, rng: random.Random) -> str | None:
    """Acceptance criteria; blank for unestimated items, some flagged ones and ~8% of the rest."""
    text = rng.choice(ACCEPTANCE_TEMPLATES[item_type])
    blank_by_chance = rng.random() < 0.08 and extras.get("moscow") != "Must" and "sprint" not in extras
    if unestimated or extras.get("no_acceptance") or blank_by_chance:
        return None
    return text


def assignee_for(team: str | None, efforts: dict[str, float], status: str,
                 rng: random.Random) -> str | None:
    """A display name for items in progress or done (and ~20% of the rest), from the right team."""
    assigned = status != "To Do" or rng.random() < 0.2
    main_skill = next(iter(efforts), None)
    candidates = [name for name, person_team, skills, _, _ in PEOPLE
                  if (team is None or person_team == team)
                  and (main_skill is None or main_skill in skills.split(", "))]
    if not assigned or not candidates:
        return None
    return rng.choice(candidates)


def build_item(key: str, item_type: str, team: str | None, initiative: str | None,
               milestone_key: str | None, title: str, effort_spec: str, extras: dict,
               rng: random.Random) -> dict:
    """One backlog item as a dict of canonical fields (plus ``key``, ``assignee`` and Jira extras)."""
    item_type = extras.get("type", item_type)
    team = extras.get("team", team)
    efforts = parse_effort(effort_spec, rng)
    business_value, time_criticality, risk_reduction = wsjf_scores(extras, rng)
    moscow = extras.get("moscow") or rng.choices(["Should", "Could"], [55, 45])[0]
    status = extras.get("status", "To Do")
    milestone, milestone_type = milestone_for(initiative, milestone_key)
    created, updated = created_and_updated(extras, rng)
    unestimated = not efforts
    return {
        "key": key,
        "title": title,
        "type": item_type,
        "team": team,
        "initiative": initiative,
        "milestone": milestone,
        "milestone_type": milestone_type,
        "efforts": efforts,
        "business_value": business_value,
        "time_criticality": time_criticality,
        "risk_reduction": risk_reduction,
        "priority": priority_for(business_value + time_criticality + risk_reduction, moscow),
        "moscow": moscow,
        "dep_keys": list(extras.get("deps", [])),
        "deadline": extras.get("deadline"),
        "status": status,
        "sprint": extras.get("sprint"),
        "carried_over": extras.get("carried_over", False),
        "labels": item_labels(item_type, initiative, milestone_key, extras, unestimated),
        "description": description_for(item_type, title, initiative, extras, rng),
        "acceptance_criteria": acceptance_for(item_type, extras, unestimated, rng),
        "created": created,
        "updated": updated,
        "assignee": assignee_for(team, efforts, status, rng),
        "relates_key": extras.get("relates"),
    }


def build_backlog(rng: random.Random) -> list[dict]:
    """All items in backlog order, with ids given in creation order and dependencies resolved."""
    items = []
    for initiative, rows in STORIES.items():
        team = INITIATIVES[initiative][0]
        for key, milestone_key, title, effort_spec, extras in rows:
            items.append(build_item(key, "story", team, initiative, milestone_key, title,
                                    effort_spec, extras, rng))
    for key, item_type, team, title, effort_spec, extras in OTHER_WORK:
        items.append(build_item(key, item_type, team, None, None, title, effort_spec, extras, rng))

    by_creation = sorted(items, key=lambda item: (item["created"], item["key"]))
    ids = {item["key"]: f"{ID_PREFIX}{FIRST_ID + number}" for number, item in enumerate(by_creation)}
    for item in items:
        item["id"] = ids[item["key"]]
        item["depends_on"] = [ids[key] for key in item["dep_keys"]]
        item["relates"] = ids[item["relates_key"]] if item["relates_key"] else None
    check_backlog(items)
    return items


def check_backlog(items: list[dict]) -> None:
    """Fail loudly if the tables above were edited into an inconsistent backlog."""
    keys = [item["key"] for item in items]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate item keys in the sample tables")
    by_key = {item["key"]: item for item in items}
    for item in items:
        if len(item["dep_keys"]) > JIRA_BLOCKS_COLUMNS:
            raise ValueError(f"{item['key']}: at most {JIRA_BLOCKS_COLUMNS} prerequisites")
        for key in item["dep_keys"]:
            if key not in by_key:
                raise ValueError(f"{item['key']} depends on unknown item {key}")
    state: dict[str, str] = {}

    def visit(key: str) -> None:
        if state.get(key) == "done":
            return
        if state.get(key) == "visiting":
            raise ValueError(f"dependency cycle through {key}")
        state[key] = "visiting"
        for prerequisite in by_key[key]["dep_keys"]:
            visit(prerequisite)
        state[key] = "done"

    for key in keys:
        visit(key)


# --------------------------------------------------------------------------------------------------
# Building the capacity tables
# --------------------------------------------------------------------------------------------------


def oncall_rows() -> list[tuple]:
    """The weekly on-call rotation as (name, Monday, Sunday, load) rows."""
    rows = []
    for week, (name, load) in enumerate(ONCALL_ROTATION):
        monday = ONCALL_FIRST_MONDAY + dt.timedelta(weeks=week)
        rows.append((name, monday, monday + dt.timedelta(days=6), load))
    return rows


def capacity_sheets() -> dict[str, tuple[list[str], list[tuple]]]:
    """``{sheet: (headers, rows)}`` for the capacity workbook, in SPEC order."""
    return {
        "people": (["name", "team", "skills", "allocation", "days_per_sprint"], PEOPLE),
        "sprints": (["sprint", "start", "end"], SPRINTS),
        "ooo": (["name", "start", "end"], OOO),
        "oncall": (["name", "start", "end", "load"], oncall_rows()),
        "holidays": (["date", "team", "name"], HOLIDAYS),
        "teams": (["team", "velocity", "focus_factor"], TEAMS),
    }


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------


def backlog_row(item: dict) -> list:
    """The item's cells in ``BACKLOG_HEADERS`` order (lists joined by ``", "``, blanks as None)."""
    efforts = [item["efforts"].get(skill) for skill in SKILLS]
    return [
        item["id"], item["title"], item["type"], item["team"], item["initiative"], item["milestone"],
        item["milestone_type"], *efforts, item["business_value"], item["time_criticality"],
        item["risk_reduction"], item["priority"], item["moscow"], ", ".join(item["depends_on"]) or None,
        item["deadline"], item["status"], item["sprint"], ", ".join(item["labels"]) or None,
        item["description"], item["acceptance_criteria"], item["created"], item["updated"],
    ]


def write_sheet(sheet, headers: list[str], rows: list, widths: dict[str, int]) -> None:
    """Fill a worksheet: bold frozen header, text kept as text, dates as Excel dates, widths set."""
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # literal text that merely looks like a formula
            elif isinstance(cell.value, dt.datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, dt.date):
                cell.number_format = DATE_FORMAT
    for column, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = widths.get(header, DEFAULT_WIDTH)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def save_reproducibly(workbook: Workbook, path: Path) -> None:
    """Save with fixed document and zip timestamps, so identical content gives identical bytes."""
    fixed = dt.datetime(*ZIP_TIMESTAMP)
    workbook.properties.creator = "generate_sample.py"
    buffer = io.BytesIO()
    workbook.save(buffer)
    workbook.properties.created = fixed
    workbook.properties.modified = fixed  # openpyxl stamps "now" while saving: overwrite below
    core = tostring(workbook.properties.to_tree())
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = core if info.filename == "docProps/core.xml" else source.read(info.filename)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=ZIP_TIMESTAMP), data,
                            compress_type=zipfile.ZIP_DEFLATED)


def write_backlog_xlsx(items: list[dict], path: Path) -> None:
    """The backlog workbook: one sheet ``Backlog`` with the canonical headers."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Backlog"
    write_sheet(sheet, BACKLOG_HEADERS, [backlog_row(item) for item in items], BACKLOG_WIDTHS)
    save_reproducibly(workbook, path)


def write_capacity_xlsx(path: Path) -> None:
    """The capacity workbook: one sheet per table of SPEC section 2; allocations shown as %."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, (headers, rows) in capacity_sheets().items():
        sheet = workbook.create_sheet(name)
        write_sheet(sheet, headers, rows, CAPACITY_WIDTHS)
    for (cell,) in workbook["people"].iter_rows(min_row=2, min_col=4, max_col=4):
        cell.number_format = "0%"
    save_reproducibly(workbook, path)


def jira_datetime(value: dt.datetime | dt.date) -> str:
    """Jira Cloud's export format, e.g. ``12/Mar/26 9:00 AM`` (dates get ``12:00 AM``)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    hour = value.hour % 12 or 12
    meridiem = "AM" if value.hour < 12 else "PM"
    return (f"{value.day:02d}/{JIRA_MONTHS[value.month - 1]}/{value.year % 100:02d} "
            f"{hour}:{value.minute:02d} {meridiem}")


def jira_number(value: float | None) -> str:
    """Numbers the way Jira exports number fields: ``3.0``, ``0.5``; blank when missing."""
    return "" if value is None else f"{float(value):.1f}"


def spread(values: list[str], columns: int, align_right: bool = False) -> list[str]:
    """Spread values over repeated columns, padding with blanks (at the start if ``align_right``)."""
    if len(values) > columns:
        raise ValueError(f"{values} do not fit in {columns} columns")
    padding = [""] * (columns - len(values))
    return padding + values if align_right else values + padding


def jira_row(item: dict) -> list[str]:
    """The item as a Jira export row in ``JIRA_HEADERS`` order."""
    sprints = []
    if item["sprint"]:
        sprints = ([CARRIED_OVER_FROM] if item["carried_over"] else []) + [item["sprint"]]
    efforts = item["efforts"]
    return [
        item["title"],
        item["id"],
        str(FIRST_JIRA_ISSUE_ID + int(item["id"].removeprefix(ID_PREFIX))),
        JIRA_ISSUE_TYPES[item["type"]],
        item["status"],
        item["priority"],
        item["assignee"] or "",
        REPORTERS[item["team"]],
        jira_datetime(item["created"]),
        jira_datetime(item["updated"]),
        jira_datetime(item["deadline"]) if item["deadline"] else "",
        *spread(sprints, JIRA_SPRINT_COLUMNS, align_right=True),
        *spread(item["labels"], JIRA_LABEL_COLUMNS),
        jira_number(sum(efforts.values())) if efforts else "",
        item["team"] or "",
        jira_number(item["business_value"]),
        jira_number(item["time_criticality"]),
        jira_number(item["risk_reduction"]),
        item["moscow"],
        item["initiative"] or "",
        item["milestone"] or "",
        *spread(item["depends_on"], JIRA_BLOCKS_COLUMNS),
        item["relates"] or "",
        item["description"] or "",
        item["acceptance_criteria"] or "",
    ]


def write_jira_csv(items: list[dict], path: Path) -> None:
    """The backlog as a Jira Cloud "Export CSV (all fields)" file: UTF-8 with BOM, repeated headers."""
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(JIRA_HEADERS)
        for item in items:
            writer.writerow(jira_row(item))


def generate(folder: Path | str) -> dict[str, Path]:
    """Write the three sample files into ``folder`` (created if needed); return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    items = build_backlog(random.Random(SEED))
    paths = {
        "backlog": folder / BACKLOG_FILE,
        "capacity": folder / CAPACITY_FILE,
        "jira": folder / JIRA_FILE,
    }
    write_backlog_xlsx(items, paths["backlog"])
    write_capacity_xlsx(paths["capacity"])
    write_jira_csv(items, paths["jira"])
    return paths


def main() -> None:
    """Regenerate the bundled sample files next to this script."""
    for path in generate(Path(__file__).resolve().parent).values():
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
