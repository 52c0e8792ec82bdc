"""A deterministic demo corpus for the default file plan (config/fileplan.toml).

`demo_users()`, `demo_folders()` and `generate_documents()` return plain data; nothing here reads
or writes files. The same seed always gives the same documents, byte for byte.

The documents belong to a fictional department, the Department for Resilience and Regional
Services (DRRS). Names, companies, places, telephone numbers (Ofcom drama ranges) and National
Insurance numbers (the unissued QQ prefix) are invented.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

# --------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str  # civil_servant | records_manager | hr | administrator
    clearance: str  # OFFICIAL | OFFICIAL-SENSITIVE | SECRET | TOP SECRET
    groups: tuple[str, ...]
    unit: str


@dataclass(frozen=True)
class DemoFolder:
    code: str
    parent_code: str  # a transaction-level class in config/fileplan.toml
    title: str
    closed: bool = False
    closed_on: dt.date | None = None  # when a closed folder was closed (its period's end)


@dataclass(frozen=True)
class DemoDocument:
    filename: str
    title: str
    content: bytes
    mime: str
    into_code: str  # a DemoFolder code or a transaction class code
    marking: str
    creator: str  # a DemoUser username
    created: dt.datetime  # timezone-aware UTC
    doc_type: str
    description: str
    declare_record: bool


# --------------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------------

OFFICIAL = "OFFICIAL"
SENSITIVE = "OFFICIAL-SENSITIVE"
SECRET = "SECRET"
_MARKINGS = (OFFICIAL, SENSITIVE, SECRET, "TOP SECRET")

DEPARTMENT = "Department for Resilience and Regional Services"
DEPT_SHORT = "DRRS"
DOMAIN = "drrs.gov.uk"
HQ_ADDRESS = "14 Marsham Walk, London SW1P 4DF"


def _unit_group(unit: str) -> str:
    return unit.lower().replace("'", "").replace(" ", "-")


def _user(username: str, name: str, role: str, clearance: str, unit: str, *groups: str) -> DemoUser:
    return DemoUser(username, name, role, clearance, (*groups, _unit_group(unit)), unit)


def demo_users() -> list[DemoUser]:
    """The demo accounts; the first three are the ones a newcomer should try first."""
    return [
        _user("asmith", "Alice Smith", "civil_servant", OFFICIAL, "Policy Directorate"),
        _user(
            "rmanager",
            "Rebecca Manning",
            "records_manager",
            SECRET,
            "Knowledge and Information Management",
        ),
        _user("admin", "Tom Adeyemi", "administrator", SENSITIVE, "Digital and Technology"),
        _user("bjones", "Ben Jones", "civil_servant", SENSITIVE, "Operations Directorate"),
        _user("cokafor", "Chioma Okafor", "civil_servant", OFFICIAL, "Digital and Technology"),
        _user("dwilliams", "Dafydd Williams", "civil_servant", SENSITIVE, "Commercial Directorate"),
        _user("ehughes", "Emma Hughes", "civil_servant", OFFICIAL, "Communications Directorate"),
        _user("gmurray", "Graham Murray", "civil_servant", OFFICIAL, "Estates and Facilities"),
        _user("hpatel", "Harpreet Patel", "hr", SENSITIVE, "People Directorate", "hr"),
        _user(
            "fnowak", "Fiona Nowak", "civil_servant", SENSITIVE, "Finance Directorate", "finance"
        ),
        _user("lchen", "Laura Chen", "civil_servant", SECRET, "Legal Advisers' Office", "legal"),
        _user(
            "smacleod",
            "Stuart MacLeod",
            "civil_servant",
            SECRET,
            "Departmental Security Unit",
            "security",
        ),
        _user(
            "jbaker",
            "Jane Baker",
            "civil_servant",
            SECRET,
            "Corporate Secretariat",
            "senior-leadership",
        ),
    ]


def _users_by_name() -> dict[str, DemoUser]:
    return {u.username: u for u in demo_users()}


# --------------------------------------------------------------------------------------------
# The transaction classes documents go into (mirrors config/fileplan.toml)
# --------------------------------------------------------------------------------------------

# code -> (default marking, access groups along the path, likely authors)
_CLASSES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "GOV-BRD-MIN": (OFFICIAL, (), ("jbaker", "jbaker", "asmith")),
    "GOV-BRD-ARC": (OFFICIAL, (), ("jbaker", "fnowak")),
    "GOV-BRD-RSK": (OFFICIAL, (), ("jbaker", "fnowak")),
    "GOV-BRD-REM": (SENSITIVE, ("senior-leadership", "hr"), ("jbaker", "hpatel")),
    "GOV-MIN-COR": (OFFICIAL, (), ("asmith", "asmith", "bjones")),
    "GOV-MIN-SUB": (OFFICIAL, (), ("asmith", "asmith", "jbaker")),
    "FIN-BUD-ALL": (OFFICIAL, (), ("fnowak", "fnowak", "jbaker")),
    "FIN-AP-INV": (OFFICIAL, (), ("fnowak",)),
    "FIN-AP-EXP": (OFFICIAL, (), ("fnowak",)),
    "HR-WF-FILE": (SENSITIVE, ("hr",), ("hpatel",)),
    "HR-WF-REC": (OFFICIAL, (), ("hpatel", "hpatel", "cokafor")),
    "HR-WF-ER": (SENSITIVE, ("hr",), ("hpatel",)),
    "HR-WF-PAY": (SENSITIVE, ("hr", "finance"), ("hpatel", "fnowak")),
    "EST-MGT-LSE": (OFFICIAL, (), ("gmurray", "gmurray", "dwilliams")),
    "EST-MGT-MNT": (OFFICIAL, (), ("gmurray",)),
    "IT-SVC-INC": (OFFICIAL, (), ("cokafor", "admin")),
    "IT-SVC-PRJ": (OFFICIAL, (), ("cokafor", "cokafor", "admin")),
    "LEG-ADV-OPN": (SENSITIVE, ("legal",), ("lchen",)),
    "LEG-LIT-CIV": (SENSITIVE, ("legal",), ("lchen",)),
    "LEG-LIT-NS": (SECRET, ("legal", "security"), ("lchen", "smacleod")),
    "PROC-CM-ITT": (OFFICIAL, (), ("dwilliams",)),
    "PROC-CM-CON": (OFFICIAL, (), ("dwilliams",)),
    "COMMS-MED-PR": (OFFICIAL, (), ("ehughes",)),
    "COMMS-MED-ENQ": (OFFICIAL, (), ("ehughes",)),
    "POL-DEV-PAP": (OFFICIAL, (), ("asmith",)),
    "POL-DEV-EVD": (OFFICIAL, (), ("asmith",)),
    "POL-DEV-CON": (OFFICIAL, (), ("asmith",)),
    "CASE-OPS-GRT": (OFFICIAL, (), ("bjones",)),
    "CASE-OPS-CMP": (OFFICIAL, (), ("bjones",)),
    "INFO-IM-FOI": (OFFICIAL, (), ("rmanager",)),
    "INFO-IM-DSP": (OFFICIAL, (), ("rmanager",)),
    "INFO-IM-KH": (OFFICIAL, (), ("rmanager", "hpatel")),
    "SEC-PS-INC": (SENSITIVE, ("security",), ("smacleod",)),
    "SEC-PS-VET": (SENSITIVE, ("security",), ("smacleod",)),
    "SEC-PS-THR": (SECRET, ("security",), ("smacleod",)),
}


def _rank(marking: str) -> int:
    return _MARKINGS.index(marking)


def _may_see(user: DemoUser, marking: str, access: tuple[str, ...]) -> bool:
    cleared = _rank(user.clearance) >= _rank(marking)
    return cleared and (not access or bool(set(access) & set(user.groups)))


# --------------------------------------------------------------------------------------------
# Folders
# --------------------------------------------------------------------------------------------

DEMO_START = dt.date(2019, 1, 7)
DEMO_END = dt.date(2026, 10, 30)
_CLOSED_BEFORE = dt.date(2025, 4, 1)  # year folders that ended before this are closed


@dataclass(frozen=True)
class _FolderSpec:
    folder: DemoFolder
    start: dt.date
    end: dt.date
    ref: str = ""  # case, contract or staff reference
    subject: str = ""  # who or what the folder is about
    topic: str = ""  # topic key, when the folder has one


def _financial_year_folders(cls: str, label: str) -> list[_FolderSpec]:
    specs = []
    for year in range(2018, 2027):
        fy = f"{year}-{(year + 1) % 100:02d}"
        start, end = dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
        closed = end < _CLOSED_BEFORE
        folder = DemoFolder(
            f"{cls}-{fy}", cls, f"{label} {fy}", closed=closed, closed_on=end if closed else None
        )
        specs.append(_FolderSpec(folder, start, end, ref=fy))
    return specs


def _calendar_year_folders(cls: str, label: str) -> list[_FolderSpec]:
    specs = []
    for year in range(2019, 2027):
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        closed = end < _CLOSED_BEFORE
        folder = DemoFolder(
            f"{cls}-{year}",
            cls,
            f"{label} {year}",
            closed=closed,
            closed_on=end if closed else None,
        )
        specs.append(_FolderSpec(folder, start, end, ref=str(year)))
    return specs


# (class, reference, title, subject, start, end, closed, topic)
_CASE_FOLDERS: tuple[tuple[str, str, str, str, dt.date, dt.date, bool, str], ...] = (
    (
        "CASE-OPS-GRT",
        "CASE-2021-00417",
        "Ashby Fen Village Hall Trust: community flood store",
        "Ashby Fen Village Hall Trust",
        dt.date(2021, 3, 1),
        dt.date(2022, 6, 30),
        True,
        "grants",
    ),
    (
        "CASE-OPS-GRT",
        "CASE-2023-00988",
        "Lowmoor Parish Council: property flood resilience for 40 homes",
        "Lowmoor Parish Council",
        dt.date(2023, 5, 2),
        dt.date(2024, 9, 30),
        True,
        "flood",
    ),
    (
        "CASE-OPS-GRT",
        "CASE-2024-00123",
        "Kelsey Bridge Community Association: natural flood management volunteers",
        "Kelsey Bridge Community Association",
        dt.date(2024, 2, 5),
        dt.date(2025, 11, 28),
        False,
        "flood",
    ),
    (
        "CASE-OPS-GRT",
        "CASE-2025-01342",
        "Wrenford Flood Action Group: river level sensors and warden scheme",
        "Wrenford Flood Action Group",
        dt.date(2025, 6, 2),
        DEMO_END,
        False,
        "grants",
    ),
    (
        "CASE-OPS-CMP",
        "CASE-2022-00231",
        "Complaint: delay in grant payment (Mr R Haldane)",
        "Mr Robert Haldane",
        dt.date(2022, 4, 4),
        dt.date(2022, 12, 16),
        True,
        "grants",
    ),
    (
        "CASE-OPS-CMP",
        "CASE-2024-00877",
        "Complaint: online application form not accessible (Ms P Osei)",
        "Ms Patience Osei",
        dt.date(2024, 8, 5),
        dt.date(2025, 3, 28),
        True,
        "digital",
    ),
    (
        "CASE-OPS-CMP",
        "CASE-2026-00154",
        "Complaint: flood warning not received (Mrs E Blackwood)",
        "Mrs Eileen Blackwood",
        dt.date(2026, 1, 12),
        DEMO_END,
        False,
        "flood",
    ),
    (
        "HR-WF-FILE",
        "E10234",
        "Personnel file: Priya Shah (E10234)",
        "Priya Shah",
        DEMO_START,
        DEMO_END,
        False,
        "workforce",
    ),
    (
        "HR-WF-FILE",
        "E10877",
        "Personnel file: Martin O'Neill (E10877)",
        "Martin O'Neill",
        DEMO_START,
        dt.date(2024, 3, 29),
        True,
        "workforce",
    ),
    (
        "HR-WF-FILE",
        "E11502",
        "Personnel file: Grace Mensah (E11502)",
        "Grace Mensah",
        dt.date(2022, 9, 5),
        DEMO_END,
        False,
        "workforce",
    ),
    (
        "HR-WF-ER",
        "ER-2023-014",
        "Grievance ER-2023-014: bullying and harassment complaint",
        "a Higher Executive Officer in Operations",
        dt.date(2023, 2, 6),
        dt.date(2023, 8, 25),
        True,
        "workforce",
    ),
    (
        "HR-WF-ER",
        "ER-2025-006",
        "Disciplinary investigation ER-2025-006: misuse of IT systems",
        "an Executive Officer in Digital and Technology",
        dt.date(2025, 4, 7),
        DEMO_END,
        False,
        "cyber",
    ),
    (
        "PROC-CM-CON",
        "CON-2019-0032",
        "CON-2019-0032 Office cleaning services: Brightclean Contract Services Ltd",
        "Brightclean Contract Services Ltd",
        DEMO_START,
        dt.date(2022, 3, 31),
        True,
        "estates",
    ),
    (
        "PROC-CM-CON",
        "CON-2020-0117",
        "CON-2020-0117 Integrated facilities management: Northgate Facilities Services Ltd",
        "Northgate Facilities Services Ltd",
        dt.date(2020, 4, 1),
        DEMO_END,
        False,
        "estates",
    ),
    (
        "PROC-CM-CON",
        "CON-2023-0456",
        "CON-2023-0456 Digital, data and technology services: Kestrel Digital Ltd",
        "Kestrel Digital Ltd",
        dt.date(2023, 1, 9),
        DEMO_END,
        False,
        "digital",
    ),
    (
        "LEG-LIT-CIV",
        "LIT-2022-009",
        "R (Lowmoor Residents' Association) v Secretary of State: judicial review",
        "Lowmoor Residents' Association",
        dt.date(2022, 3, 7),
        dt.date(2023, 11, 24),
        True,
        "flood",
    ),
    (
        "LEG-LIT-CIV",
        "LIT-2025-003",
        "Employment tribunal claim 2501234/2025",
        "a former Senior Executive Officer",
        dt.date(2025, 3, 3),
        DEMO_END,
        False,
        "workforce",
    ),
    (
        "LEG-LIT-NS",
        "LIT-2024-NS1",
        "Closed material proceedings: exclusion of a telemetry supplier",
        "Vantor Telemetry Systems Ltd",
        dt.date(2024, 5, 13),
        DEMO_END,
        False,
        "cyber",
    ),
    (
        "IT-SVC-PRJ",
        "PRJ-FWS",
        "Flood warning digital service",
        "Flood warning digital service",
        dt.date(2020, 9, 1),
        DEMO_END,
        False,
        "digital",
    ),
    (
        "IT-SVC-PRJ",
        "PRJ-GCM",
        "Grants case management replacement",
        "Grants case management system",
        dt.date(2022, 1, 10),
        dt.date(2025, 6, 27),
        True,
        "digital",
    ),
)


def _case_folders() -> list[_FolderSpec]:
    specs = []
    for cls, ref, title, subject, start, end, closed, topic in _CASE_FOLDERS:
        code = f"{cls}-{ref.split('-', 1)[-1]}"  # CASE-2024-00123 -> CASE-OPS-GRT-2024-00123
        folder = DemoFolder(code, cls, title, closed=closed, closed_on=end if closed else None)
        specs.append(_FolderSpec(folder, start, end, ref=ref, subject=subject, topic=topic))
    return specs


def _folder_specs() -> list[_FolderSpec]:
    return [
        *_financial_year_folders("FIN-AP-INV", "Supplier invoices"),
        *_calendar_year_folders("GOV-BRD-MIN", "Board minutes and papers"),
        *_case_folders(),
    ]


def demo_folders() -> list[DemoFolder]:
    """Year folders and case, contract, staff and project folders under transaction classes."""
    return [spec.folder for spec in _folder_specs()]


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

PLACES = (
    "Lowmoor",
    "Ashby Fen",
    "Kelsey Bridge",
    "Thornwick",
    "Marden-on-Severn",
    "Caldbeck Vale",
    "Wrenford",
    "Stanbury",
    "Holme Sutton",
    "Eastwick",
)
BUILDINGS = (
    "Horizon House, Bristol",
    "Weaver Court, Manchester",
    "Riverside Chambers, York",
    "Castlegate Hub, Nottingham",
    "14 Marsham Walk, London",
    "Quayside House, Newcastle",
)
SERVICES = (
    "flood warning digital service",
    "apply for a community resilience grant service",
    "report a flood service",
    "grants case management system",
    "records search service",
)
FRAMEWORKS = (
    "Facilities Management Marketplace (RM6232)",
    "Digital Outcomes 6 (RM1043.8)",
    "Technology Services 3 (RM3804)",
    "Management Consultancy Framework Three (RM6187)",
    "Construction Works and Associated Services (RM6088)",
)
ORGS = (
    "the Environment Agency",
    "Lowmoor District Council",
    "the Met Office",
    "the Government Property Agency",
    "the Cabinet Office",
    "Wessex Water",
    "the National Cyber Security Centre",
)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
FIRST_NAMES = (
    "Sarah",
    "David",
    "Aisha",
    "James",
    "Megan",
    "Tomasz",
    "Rhys",
    "Nadia",
    "Peter",
    "Olivia",
    "Kwame",
    "Siobhan",
    "Hamish",
    "Leila",
    "George",
    "Yusuf",
)
SURNAMES = (
    "Whitfield",
    "Okonjo",
    "Ellison",
    "Pryce",
    "McAllister",
    "Kowalski",
    "Hussain",
    "Fletcher",
    "Barnes",
    "Campbell",
    "Nguyen",
    "Doherty",
    "Ramsay",
    "Adebayo",
    "Thornton",
    "Iqbal",
)
MPS = (
    "Sarah Whitfield MP",
    "David Okonjo MP",
    "the Rt Hon Margaret Ellison MP",
    "Gareth Pryce MP",
    "Helen McAllister MP",
    "Lord Fenwick of Stanbury",
)
GRADES = ("AO", "EO", "HEO", "SEO", "Grade 7", "Grade 6")


@dataclass(frozen=True)
class _Topic:
    key: str
    name: str
    programme: str
    facts: tuple[str, ...]


TOPICS: tuple[_Topic, ...] = (
    _Topic(
        "flood",
        "flood defence",
        "Flood and Coastal Resilience Programme",
        (
            "The {place} flood alleviation scheme will protect {n}00 homes and {n2} businesses "
            "once the new embankment and pumping station are complete.",
            "River levels at the {place} gauge exceeded the flood warning threshold on {n} "
            "occasions last winter, twice overtopping the temporary barriers.",
            "Partnership funding from the local authority and the internal drainage board covers "
            "{pct}% of the capital cost of the scheme.",
            "Property flood resilience measures such as flood doors, airbrick covers and "
            "non-return valves were installed in {n2} properties in {place}.",
            "Catchment modelling suggests that natural flood management upstream of {place}, "
            "including leaky dams and new woodland, could reduce peak flows by {pct}%.",
            "Maintenance of existing defences remains the largest pressure on the revenue budget, "
            "with {n2} assets rated in poor or very poor condition.",
            "The outline business case for {place} was approved against the Green Book criteria, "
            "with a benefit-cost ratio of {n}.{n}.",
            "Residents in {place} told us that warnings arrive too late to move cars and "
            "belongings to safety, especially at night.",
            "Telemetry from {n2} river and rainfall gauges feeds the flood forecasting centre "
            "every fifteen minutes.",
            "Storm {storm} caused surface water flooding in {place} and {place2}, where culverts "
            "were blocked by debris.",
        ),
    ),
    _Topic(
        "digital",
        "digital services",
        "Digital Services Transformation Programme",
        (
            "The {service} passed its beta assessment against the Service Standard with {n} "
            "recommendations, none of them red.",
            "User research with {n2} participants showed that applicants struggle to upload "
            "supporting evidence from mobile phones.",
            "Moving the legacy case management system to the cloud will retire {n} on-premises "
            "servers and cut hosting costs by {pct}%.",
            "Sign-in will move to GOV.UK One Login, so users no longer manage a separate password "
            "for each service.",
            "An accessibility audit found {n} failures against WCAG 2.2 level AA, all of which "
            "are planned into the next two sprints.",
            "Median processing time fell from {n2} days to {n} days after the online form "
            "replaced the paper form and manual keying.",
            "The team publishes the service's completion rate, cost per transaction and user "
            "satisfaction on the performance dashboard.",
            "Digital take-up reached {pct}% in {month}, ahead of the business case assumption.",
            "The product owner has prioritised an application programming interface so that local "
            "authorities can submit data without spreadsheets.",
            "Technical debt in the legacy Oracle Forms application means that each change "
            "request now takes around {n} weeks to release.",
        ),
    ),
    _Topic(
        "estates",
        "estates",
        "Estates Consolidation Programme",
        (
            "Occupancy sensors at {building} recorded average desk utilisation of {pct}% across "
            "the quarter, peaking on Tuesdays and Wednesdays.",
            "The lease on {building} contains a tenant break option in {year2}, which must be "
            "exercised with at least six months' written notice.",
            "Replacing the gas boilers at {building} with air source heat pumps would cut "
            "carbon emissions from the building by {pct}%.",
            "Staff from three smaller offices will move to the {place} government hub once the "
            "fit-out is complete.",
            "The condition survey identified {n} priority-one defects, including roof leaks, "
            "failed emergency lighting and a faulty passenger lift.",
            "The Government Property Agency will take over the freehold and recharge the "
            "department a service charge of {money} a year.",
            "Dilapidations liabilities on exit are estimated at {money}, excluding VAT.",
            "The fire risk assessment recommends replacing {n} fire doors on the third floor "
            "and improving signage on the escape routes.",
            "Energy consumption fell by {pct}% year on year after the LED lighting upgrade and "
            "changes to the building management system.",
        ),
    ),
    _Topic(
        "procurement",
        "procurement",
        "Commercial Pipeline",
        (
            "The requirement will be met through a further competition under the Crown "
            "Commercial Service {framework} framework.",
            "Bids will be evaluated {quality}% on quality, including {sv}% on social value, and "
            "{price}% on price.",
            "{n} suppliers responded to the invitation to tender, {n3} of them small and "
            "medium-sized enterprises.",
            "The contract has an initial term of {n} years with the option to extend by up to "
            "two further years.",
            "Under the Procurement Act 2023 we must publish a contract details notice within 30 "
            "days of entering into the contract.",
            "Key performance indicators cover response times, first-time fix rate and customer "
            "satisfaction, with service credits for persistent failure.",
            "Service credits of {money} were applied last quarter after the supplier missed the "
            "response-time target in two consecutive months.",
            "The commercial pipeline shows {n2} procurements over £{n}00,000 due to start in the "
            "next eighteen months.",
            "The supplier has agreed to pay sub-contractors within 30 days and to report "
            "prompt payment performance quarterly.",
        ),
    ),
    _Topic(
        "workforce",
        "workforce",
        "People Plan",
        (
            "Headcount stood at {n},{n3}00 full-time equivalents at the end of {month}, within "
            "the workforce plan.",
            "The Civil Service People Survey engagement index rose to {pct}%, with the biggest "
            "improvement in learning and development.",
            "{n2} apprentices started in September across the digital, finance and project "
            "delivery professions.",
            "Hybrid working guidance asks staff to spend at least 60% of their working time in "
            "the office, averaged over a month.",
            "Time to hire averaged {n2} days against a target of 55 days, largely because of "
            "delays in pre-employment checks.",
            "Completion of mandatory learning, including data protection and security awareness, "
            "reached {pct}% by the deadline.",
            "Sickness absence averaged {n}.{n3} working days per person, below the civil service "
            "average.",
            "Succession plans are in place for {pct}% of business-critical roles.",
        ),
    ),
    _Topic(
        "information",
        "information management",
        "Information Management Improvement Plan",
        (
            "A data protection impact assessment was completed before personal data was shared "
            "with {org}.",
            "The department received {n}00 Freedom of Information requests this year and "
            "answered {pct}% within 20 working days.",
            "Records of the closed programme were appraised and {n2} files selected for permanent "
            "preservation at The National Archives.",
            "Information asset owners confirmed their information asset registers during the "
            "annual assurance exercise.",
            "Legacy shared drives hold an estimated {n} million files, many of them duplicates or "
            "past their retention period.",
            "Knowledge harvest interviews capture what experienced staff know before they leave, "
            "and the write-ups are filed as records.",
            "The retention schedule was updated to reflect the Public Records Act transfer point "
            "of twenty years.",
            "Email is still the main place where decisions are recorded, which makes them hard "
            "to find and easy to lose.",
        ),
    ),
    _Topic(
        "cyber",
        "cyber security",
        "Cyber Security Programme",
        (
            "Phishing simulation click rates fell to {pct}% following targeted training for "
            "teams with the highest rates.",
            "Multi-factor authentication is now enforced for all remote access, including "
            "supplier support accounts.",
            "The self-assessment against the Cyber Assessment Framework shows {n} outcomes not "
            "yet achieved.",
            "Critical vulnerabilities must be patched within 14 days; {pct}% were patched on time "
            "last quarter.",
            "The National Cyber Security Centre issued an advisory about active exploitation of "
            "VPN appliances used by several suppliers.",
            "Supplier assurance questionnaires were issued to the {n2} suppliers that process "
            "departmental data.",
            "Operational technology at pumping stations is being separated from the corporate "
            "network, with remote access through a hardened jump host.",
            "Removable media is blocked by default; {n} exceptions were approved this year.",
        ),
    ),
    _Topic(
        "grants",
        "community grants",
        "Community Resilience Fund",
        (
            "The community resilience fund awarded {money} to {n2} projects in its first round.",
            "Applicants must show match funding of at least {pct}% from other sources, which "
            "can include volunteer time valued at the national living wage.",
            "A monitoring visit to {place} confirmed that the flood store, sandbags and volunteer "
            "training were in place.",
            "Grant payments are made quarterly in arrears against evidence of eligible spend.",
            "{n} applications were rejected because the applicant was not a constituted "
            "community group or charity.",
            "The scheme guidance was revised to allow spending on river level sensors and "
            "community warning sirens.",
            "Subsidy control rules were checked; each award falls below the minimal financial "
            "assistance threshold.",
            "Volunteer flood wardens in {place} now check the trash screens every week between "
            "October and March.",
        ),
    ),
)
_TOPIC_BY_KEY = {t.key: t for t in TOPICS}

# which topics suit which class
_CLASS_TOPICS: dict[str, tuple[str, ...]] = {
    "GOV-BRD-MIN": ("flood", "digital", "estates", "workforce", "information", "cyber"),
    "GOV-BRD-ARC": ("cyber", "procurement", "information", "grants"),
    "GOV-BRD-RSK": ("flood", "cyber", "workforce", "estates"),
    "GOV-BRD-REM": ("workforce",),
    "GOV-MIN-COR": ("flood", "grants", "digital", "estates"),
    "GOV-MIN-SUB": ("flood", "grants", "digital", "estates", "workforce"),
    "FIN-BUD-ALL": ("flood", "digital", "estates", "workforce"),
    "FIN-AP-INV": ("digital", "estates", "procurement", "flood"),
    "FIN-AP-EXP": ("flood", "estates", "grants"),
    "HR-WF-FILE": ("workforce",),
    "HR-WF-REC": ("workforce", "digital"),
    "HR-WF-ER": ("workforce",),
    "HR-WF-PAY": ("workforce",),
    "EST-MGT-LSE": ("estates",),
    "EST-MGT-MNT": ("estates",),
    "IT-SVC-INC": ("digital", "cyber"),
    "IT-SVC-PRJ": ("digital",),
    "LEG-ADV-OPN": ("flood", "procurement", "information", "grants"),
    "LEG-LIT-CIV": ("flood", "workforce"),
    "LEG-LIT-NS": ("cyber",),
    "PROC-CM-ITT": ("procurement", "digital", "estates"),
    "PROC-CM-CON": ("procurement", "digital", "estates"),
    "COMMS-MED-PR": ("flood", "grants", "digital", "estates"),
    "COMMS-MED-ENQ": ("flood", "estates", "digital", "cyber"),
    "POL-DEV-PAP": ("flood", "grants", "digital", "information"),
    "POL-DEV-EVD": ("flood", "grants", "workforce"),
    "POL-DEV-CON": ("flood", "grants", "digital"),
    "CASE-OPS-GRT": ("grants", "flood"),
    "CASE-OPS-CMP": ("grants", "digital", "flood"),
    "INFO-IM-FOI": ("flood", "estates", "procurement", "information"),
    "INFO-IM-DSP": ("information",),
    "INFO-IM-KH": ("flood", "procurement", "digital", "information", "estates"),
    "SEC-PS-INC": ("cyber",),
    "SEC-PS-VET": ("cyber",),
    "SEC-PS-THR": ("cyber", "flood"),
}

STORMS = ("Ciara", "Dennis", "Arwen", "Babet", "Henk", "Isha", "Darragh", "Bert", "Eowyn")

# --------------------------------------------------------------------------------------------
# Small text helpers
# --------------------------------------------------------------------------------------------


def _long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _short_date(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def _pounds(amount: float) -> str:
    return f"£{amount:,.2f}"


def _whole_pounds(amount: float) -> str:
    return f"£{amount:,.0f}"


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"


def _email_of(name: str, domain: str = DOMAIN) -> str:
    return f"{name.lower().replace(' ', '.').replace(chr(39), '')}@{domain}"


def _phone(rng: random.Random) -> str:
    return rng.choice(("020 7946 0", "0117 496 0", "0161 496 0", "0113 496 0")) + (
        f"{rng.randrange(1000):03d}"
    )


def _ni_number(rng: random.Random) -> str:
    digits = " ".join(f"{rng.randrange(100):02d}" for _ in range(3))
    return f"QQ {digits} {rng.choice('ABCD')}"


def _postcode(rng: random.Random) -> str:
    area = rng.choice(("BS1", "LS2", "M1", "YO1", "NG1", "HR4", "CA13", "WR14", "PE21"))
    inward = rng.choice("ABDEFGHJLNPQRSTUWXYZ") + rng.choice("ABDEHJLNPQRSTUWXYZ")
    return f"{area} {rng.randint(1, 9)}{inward}"


def _values(rng: random.Random) -> dict[str, str]:
    quality = rng.choice((60, 70, 80))
    place, place2 = rng.sample(PLACES, 2)
    return {
        "place": place,
        "place2": place2,
        "n": str(rng.randint(3, 9)),
        "n2": str(rng.randint(12, 48)),
        "n3": str(rng.randint(1, 4)),
        "pct": str(rng.randint(12, 88)),
        "money": _whole_pounds(rng.randrange(40_000, 950_000, 500)),
        "month": rng.choice(MONTHS),
        "building": rng.choice(BUILDINGS),
        "service": rng.choice(SERVICES),
        "framework": rng.choice(FRAMEWORKS),
        "org": rng.choice(ORGS),
        "year2": str(rng.randint(2027, 2031)),
        "quality": str(quality),
        "price": str(100 - quality),
        "sv": str(rng.choice((10, 15, 20))),
        "storm": rng.choice(STORMS),
    }


def _facts(ctx: _Ctx, topic: _Topic, k: int = 3) -> str:
    """k sentences about the topic, not repeating any already used in the same document."""
    deck = ctx.decks.setdefault(topic.key, [])
    values = _values(ctx.rng)
    sentences = []
    for _ in range(k):
        if not deck:
            deck.extend(ctx.rng.sample(topic.facts, len(topic.facts)))
        sentences.append(deck.pop().format(**values))
    return " ".join(sentences)


def _banner(marking: str) -> str:
    return marking


def _bullets(items: Sequence[str], mark: str = "-") -> str:
    return "\n".join(f"{mark} {item}" for item in items)


def _minister(day: dt.date) -> str:
    if day < dt.date(2021, 9, 15):
        return "Robert Hale MP"
    if day < dt.date(2024, 7, 8):
        return "Claire Ashworth MP"
    return "Imran Siddiqui MP"


def _perm_sec(day: dt.date) -> str:
    return "Sir Andrew Kellaway" if day < dt.date(2023, 5, 1) else "Dame Helen Ormerod"


def _fy(day: dt.date) -> str:
    year = day.year if day.month >= 4 else day.year - 1
    return f"{year}-{(year + 1) % 100:02d}"


def _safe(text: str) -> str:
    """Turn a title into a filename fragment (keeping spaces, as people do)."""
    keep = "".join(c for c in text if c.isalnum() or c in " -_'&().,")
    return " ".join(keep.split())[:70].rstrip(" .,")


# --------------------------------------------------------------------------------------------
# Document drafts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ctx:
    rng: random.Random
    when: dt.datetime
    marking: str
    author: DemoUser
    folder: _FolderSpec | None
    topic: _Topic
    serial: int
    decks: dict[str, list[str]] = field(default_factory=dict)  # facts not yet used, by topic

    @property
    def day(self) -> dt.date:
        return self.when.date()

    @property
    def ref(self) -> str:
        return self.folder.ref if self.folder else ""

    @property
    def subject(self) -> str:
        return self.folder.subject if self.folder else ""


@dataclass(frozen=True)
class _Draft:
    filename: str
    title: str
    body: str
    doc_type: str
    description: str

    @property
    def mime(self) -> str:
        ext = self.filename.rsplit(".", 1)[-1].lower()
        return {
            "csv": "text/csv",
            "html": "text/html",
            "md": "text/markdown",
        }.get(ext, "text/plain")


def _document(ctx: _Ctx, heading: str, sections: Sequence[tuple[str, str]]) -> str:
    """A plain-text document with a marking banner, a heading block and titled sections."""
    lines = [
        _banner(ctx.marking),
        "",
        DEPARTMENT.upper(),
        heading,
        "",
        f"Author: {ctx.author.full_name}, {ctx.author.unit}",
        f"Date: {_long_date(ctx.day)}",
    ]
    for title, text in sections:
        lines += ["", title.upper(), text] if title else ["", text]
    lines += ["", _banner(ctx.marking)]
    return "\n".join(lines) + "\n"


# ---- finance ---------------------------------------------------------------------------------

# (name, address, VAT number, [(item, unit price)], topic words)
_SUPPLIERS: tuple[tuple[str, str, str, tuple[tuple[str, float], ...], str], ...] = (
    (
        "Kestrel Digital Ltd",
        "Unit 4, Wharf Road, Sheffield S3 8DA",
        "GB 284 5519 07",
        (
            ("User researcher (day rate)", 850.00),
            ("Senior developer (day rate)", 925.00),
            ("Delivery manager (day rate)", 800.00),
            ("Accessibility audit", 4_800.00),
        ),
        "delivery of the flood warning digital service and the grants case management "
        "replacement under call-off CON-2023-0456",
    ),
    (
        "Northgate Facilities Services Ltd",
        "Northgate House, 22 Holloway Street, Leeds LS11 5QT",
        "GB 417 2086 31",
        (
            ("Planned preventive maintenance, monthly charge", 18_450.00),
            ("Reactive repair: replacement lift controller", 6_120.00),
            ("Out-of-hours call-out", 385.00),
            ("Fire door inspection and remedial works", 2_940.00),
        ),
        "integrated facilities management at Horizon House and Weaver Court under contract "
        "CON-2020-0117",
    ),
    (
        "Brightwater Environmental Consultants LLP",
        "3 Canal Side, Worcester WR1 2RT",
        "GB 602 7734 18",
        (
            ("Hydraulic modelling of the river catchment", 14_500.00),
            ("Topographic survey, per kilometre", 1_250.00),
            ("Environmental impact assessment scoping report", 7_800.00),
        ),
        "modelling and survey work for the Marden-on-Severn flood alleviation scheme",
    ),
    (
        "Carrick Office Supplies Ltd",
        "Carrick Park, Ayr Road, Kilmarnock KA1 5LD",
        "GB 339 1157 62",
        (
            ("A4 recycled copier paper, box of 5 reams", 21.40),
            ("Toner cartridges, multipack", 148.00),
            ("Height-adjustable desk", 389.00),
            ("Ergonomic chair", 246.50),
        ),
        "office supplies and workstation equipment for the Castlegate Hub fit-out",
    ),
    (
        "Pennine Secure Shredding Ltd",
        "Mill Lane Industrial Estate, Halifax HX3 6NB",
        "GB 571 9022 45",
        (
            ("Confidential waste collection, per console", 14.50),
            ("Secure destruction of hard drives, per unit", 9.75),
            ("Certificate of destruction", 25.00),
        ),
        "secure destruction of paper records and IT equipment under the disposal schedule",
    ),
    (
        "Thameside Events & Catering Co.",
        "Arch 12, Druid Street, London SE1 2HQ",
        "GB 190 4478 03",
        (
            ("Working lunch, per head", 12.50),
            ("Room hire, full day", 640.00),
            ("Audio-visual support", 295.00),
        ),
        "the stakeholder workshop on the community resilience fund",
    ),
)


_SUPPLIER_NOTES: dict[str, tuple[str, ...]] = {
    "Kestrel Digital Ltd": (
        "Work this period covered sprints on the beta of the flood warning digital service.",
        "The team ran usability testing with people who use screen readers and magnifiers.",
        "Developers migrated grant records from the legacy Oracle database to the cloud.",
        "The delivery manager prepared the evidence pack for the service assessment.",
    ),
    "Northgate Facilities Services Ltd": (
        "Planned preventive maintenance was completed on all air handling units.",
        "Engineers replaced the controller on passenger lift 2 after repeated faults.",
        "Emergency lighting and fire alarm tests were carried out and logged.",
        "Helpdesk response times met the contract target for priority 1 and 2 jobs.",
    ),
    "Brightwater Environmental Consultants LLP": (
        "The hydraulic model of the catchment was calibrated against the winter flood records.",
        "Topographic survey covered the embankment between the weir and the pumping station.",
        "The scoping report identifies otter, water vole and a scheduled monument nearby.",
        "Draft flood maps for the 1 in 100 year event were issued for review.",
    ),
    "Carrick Office Supplies Ltd": (
        "Desks and chairs were delivered to the third floor and assembled on site.",
        "Packaging was taken back for recycling under the sustainability clause.",
        "Paper is 100% recycled and certified under the Government Buying Standards.",
    ),
    "Pennine Secure Shredding Ltd": (
        "Consoles were emptied on the scheduled collection days and shredded off site.",
        "Hard drives from returned laptops were destroyed to the NCSC standard.",
        "Certificates of destruction are attached for each collection.",
    ),
    "Thameside Events & Catering Co.": (
        "The workshop was attended by representatives of parish councils and flood groups.",
        "Dietary requirements were catered for as requested on the booking form.",
        "Audio-visual support included live captioning for online participants.",
    ),
}


def _supplier_invoice(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    name, address, vat_no, items, work = rng.choice(_SUPPLIERS)
    number = f"INV-{20000 + ctx.serial * 37 + rng.randrange(30)}"
    po = f"PO-45{rng.randrange(10**8):08d}"
    lines, net = [], 0.0
    for item, price in rng.sample(items, rng.randint(2, len(items))):
        qty = rng.randint(1, 12) if price < 1000 else rng.randint(1, 3)
        if "day rate" in item:
            qty = rng.randint(5, 20)
        net += qty * price
        lines.append(f"{item:<52} {qty:>4}  {_pounds(price):>12}  {_pounds(qty * price):>13}")
    vat = round(net * 0.2, 2)
    due = ctx.day + dt.timedelta(days=30)
    contact = _person(rng)
    body = "\n".join(
        [
            _banner(ctx.marking),
            "",
            "TAX INVOICE",
            "",
            name,
            address,
            f"VAT registration number: {vat_no}",
            f"Company number: {rng.randrange(10**7, 10**8):08d}",
            "",
            f"Invoice to: Accounts Payable, {DEPARTMENT}, PO Box 4321, Newport NP10 8ZZ",
            f"Invoice number: {number}",
            f"Invoice date: {_long_date(ctx.day)}",
            f"Purchase order: {po}",
            f"Payment due: {_long_date(due)} (30 days from receipt)",
            "",
            f"{'Description':<52} {'Qty':>4}  {'Unit price':>12}  {'Net':>13}",
            *lines,
            "",
            f"{'Subtotal (net)':<72} {_pounds(net):>13}",
            f"{'VAT at 20%':<72} {_pounds(vat):>13}",
            f"{'Total due':<72} {_pounds(net + vat):>13}",
            "",
            "Notes",
            f"This invoice covers {work}, delivered during {ctx.day:%B %Y}. "
            f"{' '.join(rng.sample(_SUPPLIER_NOTES[name], 2))} Timesheets and delivery "
            "evidence have been sent to the contract manager for approval before payment.",
            "",
            "Please quote the invoice number on all remittances. Payment by BACS to sort code "
            f"20-45-77, account {rng.randrange(10**7, 10**8)}. Queries to {contact}, "
            f"{_email_of(contact, name.split()[0].lower() + '.co.uk')}, {_phone(rng)}.",
            "Late payment interest may be charged under the Late Payment of Commercial Debts "
            "(Interest) Act 1998.",
            "",
            _banner(ctx.marking),
        ]
    )
    filename = rng.choice(
        (
            f"invoice-{number}.txt",
            f"{number} {name}.txt",
            f"Invoice {number} ({name.split()[0]}).txt",
        )
    )
    return _Draft(
        filename,
        f"Invoice {number} from {name}",
        body + "\n",
        "invoice",
        f"Supplier invoice {number} from {name} for {work}; {_pounds(net + vat)} including VAT.",
    )


def _invoice_query_email(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    name, _address, _vat, _items, work = rng.choice(_SUPPLIERS)
    number = f"INV-{20000 + ctx.serial * 37 + rng.randrange(30)}"
    manager = _person(rng)
    reason = rng.choice(
        (
            "the purchase order has insufficient funds remaining",
            "the day rates do not match the rate card in the contract",
            "the goods receipt has not been confirmed by the budget holder",
            "the invoice does not show the purchase order number",
        )
    )
    body = f"""{_banner(ctx.marking)}

From: {ctx.author.full_name} <{_email_of(ctx.author.full_name)}>
To: {manager} <{_email_of(manager)}>
Cc: Accounts Payable <accounts.payable@{DOMAIN}>
Date: {ctx.when:%a, %d %b %Y %H:%M} +0000
Subject: Invoice {number} from {name} on hold

Hello {manager.split()[0]},

Invoice {number} from {name} is on hold in the finance system because {reason}. The invoice
relates to {work}.

We aim to pay 95% of undisputed invoices within five working days and all within 30 days, so I
would be grateful if you could confirm by {_long_date(ctx.day + dt.timedelta(days=3))} whether we
should raise a change to the purchase order or reject the invoice and ask the supplier for a
credit note.

For context, the budget holder's note on the order says: "{_facts(ctx, ctx.topic, 1)}" The cost
centre is forecasting an underspend this month, so there should be headroom if the change is
approved.

If the supplier has delivered work outside the agreed scope, please speak to the Commercial
Directorate before approving anything: extra work should be covered by a change control notice
rather than paid on invoice alone.

Many thanks,
{ctx.author.full_name}
Accounts Payable Team, {ctx.author.unit}
{_phone(rng)}

{_banner(ctx.marking)}
"""
    return _Draft(
        f"RE Invoice {number} on hold.txt",
        f"Invoice {number} on hold: query to budget holder",
        body,
        "email",
        f"Email asking the budget holder to resolve a hold on invoice {number} from {name}.",
    )


_BUDGET_LINES = (
    ("Policy Directorate", "PD100", "Staff costs"),
    ("Policy Directorate", "PD140", "Research and evaluation contracts"),
    ("Operations Directorate", "OP210", "Community resilience fund grants"),
    ("Operations Directorate", "OP220", "Casework staff costs"),
    ("Digital and Technology", "DT300", "Cloud hosting"),
    ("Digital and Technology", "DT310", "Digital delivery partners"),
    ("Digital and Technology", "DT320", "End-user devices"),
    ("Estates and Facilities", "EF400", "Rent and service charges"),
    ("Estates and Facilities", "EF410", "Facilities management contract"),
    ("Estates and Facilities", "EF420", "Energy"),
    ("Flood Programme", "FP500", "Capital: flood alleviation schemes"),
    ("Flood Programme", "FP510", "Resource: maintenance of defences"),
    ("People Directorate", "PE600", "Learning and development"),
    ("Corporate Secretariat", "CS700", "Board and committees"),
)
_UNDERSPEND_NOTES = (
    "Recruitment lag: {n} vacancies unfilled",
    "Capital slippage: contractor mobilisation delayed",
    "Energy prices below the spring forecast",
    "Underspend to be surrendered at supplementary estimates",
    "Grant claims received later than profiled",
)
_OVERSPEND_NOTES = (
    "Contract renewal at higher rates from {month}",
    "Pressure from inflation uplift on the contract",
    "Grant round oversubscribed; second round brought forward",
    "One-off dilapidations payment",
    "Overtime for flood incident response",
)


def _budget_csv(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    fy = _fy(ctx.day)
    month = ctx.day.strftime("%B %Y")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "Directorate",
            "Cost centre",
            "Budget line",
            f"Budget {fy} (£)",
            "Forecast outturn (£)",
            "Variance (£)",
            "Commentary",
        ]
    )
    total_budget = total_forecast = 0
    for directorate, centre, line in _BUDGET_LINES:
        budget = rng.randrange(150, 9000) * 1000
        forecast = int(budget * rng.uniform(0.86, 1.09)) // 1000 * 1000
        total_budget += budget
        total_forecast += forecast
        notes = _UNDERSPEND_NOTES if budget >= forecast else _OVERSPEND_NOTES
        variance = abs(budget - forecast) / budget
        comment = "On profile" if variance < 0.02 else rng.choice(notes).format(**_values(rng))
        writer.writerow([directorate, centre, line, budget, forecast, budget - forecast, comment])
    writer.writerow(
        ["Total", "", "", total_budget, total_forecast, total_budget - total_forecast, ""]
    )
    name = rng.choice(
        (f"Budget monitoring {month}.csv", f"FY{fy} forecast - {month}.csv", f"budget_{fy}.csv")
    )
    return _Draft(
        name,
        f"Budget monitoring and forecast outturn, {month}",
        out.getvalue(),
        "spreadsheet",
        f"Monthly budget and forecast outturn by cost centre for {fy}, prepared for the "
        "finance committee.",
    )


def _spending_review_paper(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    fy = _fy(ctx.day)
    topic = ctx.topic
    ask = rng.randint(40, 420)
    sections = [
        (
            "Purpose",
            f"This paper sets out the department's bid for the {topic.programme} in the "
            f"spending review, covering resource and capital from {fy} onwards. HM Treasury has "
            f"asked for bids by {_long_date(ctx.day + dt.timedelta(days=21))}.",
        ),
        (
            "The ask",
            f"We propose to bid for £{ask} million over the review period, of which "
            f"{rng.randint(55, 80)}% is capital. {_facts(ctx, topic, 3)}",
        ),
        (
            "Value for money",
            "The bid is supported by an economic case prepared under the Green Book. "
            f"{_facts(ctx, topic, 2)} Options below the central case would defer benefits and "
            "increase the long-run cost of maintenance.",
        ),
        (
            "Efficiencies offered",
            f"We will offer savings of {rng.randint(3, 7)}% on administration budgets through "
            "estates consolidation, automation of casework and reduced reliance on contractors.",
        ),
        (
            "Risks",
            "The main risks are construction inflation, supplier capacity and the availability of "
            "skilled staff. Each is on the corporate risk register with an owner.",
        ),
    ]
    return _Draft(
        f"SR bid - {topic.programme} ({fy}).txt",
        f"Spending review bid: {topic.programme}",
        _document(ctx, f"SPENDING REVIEW BID: {topic.programme.upper()}", sections),
        "report",
        f"Spending review bid for the {topic.programme}, £{ask} million over the review period.",
    )


def _expense_claims_csv(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    claimant = _person(rng)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Date", "Claimant", "Category", "Journey or purpose", "Amount (£)", "Receipt"])
    total = 0.0
    for _ in range(rng.randint(6, 11)):
        day = ctx.day - dt.timedelta(days=rng.randint(1, 40))
        place = rng.choice(PLACES)
        category, purpose, amount = rng.choice(
            (
                ("Rail", f"London to {place} for site visit", rng.uniform(48, 190)),
                ("Mileage", f"Office to {place} monitoring visit, 45p a mile", rng.uniform(18, 80)),
                ("Hotel", f"Overnight stay, {place} scheme opening", rng.uniform(85, 140)),
                ("Subsistence", "Evening meal, overnight stay", rng.uniform(9, 25)),
                ("Taxi", "Station to pumping station, no public transport", rng.uniform(12, 38)),
            )
        )
        total += round(amount, 2)
        writer.writerow(
            [_short_date(day), claimant, category, purpose, f"{amount:.2f}", rng.choice("YY N")]
        )
    writer.writerow(["", claimant, "Total", "", f"{total:.2f}", ""])
    return _Draft(
        f"Expenses {claimant} {ctx.day:%b %Y}.csv",
        f"Travel and subsistence claim: {claimant}, {ctx.day:%B %Y}",
        out.getvalue(),
        "spreadsheet",
        f"Travel and subsistence claim for site and monitoring visits, total {_pounds(total)}.",
    )


# ---- governance ------------------------------------------------------------------------------

_BOARD_ITEMS: dict[str, tuple[str, ...]] = {
    "flood": (
        "Flood and Coastal Resilience Programme: quarterly performance",
        "Winter readiness and the national flood exercise",
    ),
    "digital": ("Digital strategy refresh", "Legacy systems and technical debt"),
    "estates": ("Estates strategy and the hub programme", "Net zero estate plan"),
    "workforce": ("People survey results and action plan", "Workforce plan and headcount"),
    "information": ("Information management improvement plan", "Records on shared drives"),
    "cyber": ("Cyber security deep dive", "Cyber Assessment Framework results"),
    "procurement": ("Commercial pipeline", "Contract management capability"),
    "grants": ("Community resilience fund: first round", "Grant fraud and error"),
}


def _attendees(rng: random.Random, day: dt.date, committee: str) -> list[str]:
    people = [
        f"{_perm_sec(day)}, Permanent Secretary (Chair)",
        "Jane Baker, Director General, Corporate Services",
        "Owen Pritchard, Director General, Policy and Operations",
        "Richard Coles, Finance Director",
        "Sunita Rao, Chief Digital and Information Officer",
        "Anita Desai-Roberts, Lead Non-Executive Director",
        "Michael Feeney, Non-Executive Director",
    ]
    if committee == "ARC":
        people = [
            "Michael Feeney, Non-Executive Director (Chair)",
            "Anita Desai-Roberts, Non-Executive Director",
            "Catherine Lowe, Independent Member",
            "Richard Coles, Finance Director",
            "Jane Baker, Director General, Corporate Services",
            "Paul Ndlovu, Head of Internal Audit, Government Internal Audit Agency",
            "Karen Whitlock, Director, National Audit Office",
        ]
    if committee == "REM":
        people = [
            "Anita Desai-Roberts, Lead Non-Executive Director (Chair)",
            f"{_perm_sec(day)}, Permanent Secretary",
            "Jane Baker, Director General, Corporate Services",
            "Harpreet Patel, HR Business Partner (Secretary)",
        ]
    return people[: rng.randint(len(people) - 1, len(people))]


def _minutes(ctx: _Ctx, committee: str = "DB") -> _Draft:
    rng, day = ctx.rng, ctx.day
    name = {
        "DB": "Departmental Board",
        "ARC": "Audit and Risk Assurance Committee",
        "REM": "Nominations and Remuneration Committee",
    }[committee]
    number = f"{committee}({day:%y}){rng.randint(1, 10):02d}"
    topics = rng.sample(TOPICS, 2) if committee == "DB" else [ctx.topic]
    items = [rng.choice(_BOARD_ITEMS[t.key]) for t in topics]
    if committee == "ARC":
        items = [
            "Internal audit progress report",
            "National Audit Office audit completion report",
            rng.choice(_BOARD_ITEMS[ctx.topic.key]),
        ]
    if committee == "REM":
        items = [
            "Senior Civil Service pay award",
            "Performance management moderation outcomes",
            "Succession planning for director posts",
        ]
    lines = [
        _banner(ctx.marking),
        "",
        f"# {name}: minutes",
        "",
        f"**Meeting:** {number}  ",
        f"**Date:** {_long_date(day)}, 10:00 to 12:30  ",
        "**Location:** Board Room, 14 Marsham Walk, London, and Microsoft Teams  ",
        f"**Secretariat:** {ctx.author.full_name}",
        "",
        "## Present",
        "",
        _bullets(_attendees(rng, day, committee)),
        "",
        "## 1. Welcome, apologies and declarations of interest",
        "",
        "The Chair welcomed members. Apologies were received from "
        f"{_person(rng)}. No new interests were declared.",
        "",
        "## 2. Minutes and actions from the previous meeting",
        "",
        f"The minutes of the previous meeting were agreed. {rng.randint(2, 6)} actions were "
        "closed; the remaining actions are shown in the action log.",
    ]
    for index, item in enumerate(items, start=3):
        topic = topics[min(index - 3, len(topics) - 1)]
        lines += ["", f"## {index}. {item}", "", _minutes_discussion(ctx, topic, committee)]
    lines += [
        "",
        f"## {len(items) + 3}. Any other business",
        "",
        rng.choice(
            (
                "None.",
                "Members noted the arrangements for the annual report and accounts.",
                "The Chair thanked staff involved in the response to recent flooding.",
            )
        ),
        "",
        "## Actions",
        "",
        "| No. | Action | Owner | Due |",
        "|---|---|---|---|",
    ]
    for n, action in enumerate(rng.sample(_BOARD_ACTIONS, rng.randint(2, 4)), start=1):
        due = day + dt.timedelta(days=rng.randint(14, 70))
        lines.append(f"| {number}/{n} | {action} | {_person(rng)} | {_short_date(due)} |")
    lines += ["", _banner(ctx.marking), ""]
    title = f"{name} minutes, {_long_date(day)}"
    filename = rng.choice(
        (
            f"{committee} minutes {day:%d %b %Y} (final).md",
            f"{number} minutes.md",
            f"{day:%Y-%m-%d} {name} minutes.md",
        )
    )
    return _Draft(
        filename,
        title,
        "\n".join(lines),
        "minutes",
        f"Minutes of the {name} meeting {number}: {'; '.join(items)}.",
    )


def _minutes_discussion(ctx: _Ctx, topic: _Topic, committee: str) -> str:
    rng = ctx.rng
    if committee == "REM":
        return (
            f"The committee considered the recommendations for {rng.randint(6, 14)} senior civil "
            f"servants. Pay awards were within the {rng.choice(('3%', '4.5%', '5%'))} envelope "
            f"set by the Cabinet Office. {rng.randint(1, 3)} members of staff were rated as "
            "exceeding expectations, and the committee asked for the distribution to be checked "
            "for disparities by sex, ethnicity and disability before confirmation."
        )
    return (
        f"{_person(rng)} introduced the paper on the {topic.programme}. {_facts(ctx, topic, 3)} "
        f"Members asked about {rng.choice(_BOARD_QUESTIONS)} "
        f"and whether the {rng.choice(('budget', 'resourcing', 'governance'))} was adequate. "
        f"The {'Board' if committee == 'DB' else 'Committee'} {rng.choice(_BOARD_OUTCOMES)}."
    )


_BOARD_ACTIONS = (
    "Bring a revised delivery plan to the next meeting",
    "Circulate the updated risk assessment to members",
    "Agree the communications plan with the press office",
    "Report back on options to reduce the forecast overspend",
    "Confirm the lessons learned review terms of reference",
)
_BOARD_QUESTIONS = (
    "the confidence in the delivery dates",
    "the main risks to delivery",
    "how benefits would be measured",
    "the dependency on a single supplier",
)
_BOARD_OUTCOMES = (
    "noted the update",
    "agreed the recommendations",
    "asked for a further update in three months",
)


def _arc_minutes(ctx: _Ctx) -> _Draft:
    return _minutes(ctx, "ARC")


def _rem_minutes(ctx: _Ctx) -> _Draft:
    return _minutes(ctx, "REM")


def _internal_audit_report(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    topic = ctx.topic
    opinion = rng.choice(("Substantial", "Moderate", "Limited"))
    ref = f"IA-{ctx.day:%y}-{rng.randint(1, 30):02d}"
    sections = [
        (
            "Scope",
            f"Government Internal Audit Agency review of controls over the {topic.programme}, "
            "carried out as part of the agreed audit plan. We examined governance, risk "
            "management and a sample of transactions.",
        ),
        ("Overall opinion", f"{opinion} assurance."),
        ("Findings", _facts(ctx, topic, 3)),
        (
            "Recommendations",
            _bullets(
                rng.sample(
                    (
                        "Document decisions and their rationale in the file plan, not in email.",
                        "Reconcile the asset register to the general ledger every quarter.",
                        "Introduce a second check on changes to supplier bank details.",
                        "Review user access to the finance system every six months.",
                        "Agree benefits measures and baselines before approving the next phase.",
                    ),
                    3,
                )
            ),
        ),
        (
            "Management response",
            f"Management accepted all recommendations; actions are due by "
            f"{_long_date(ctx.day + dt.timedelta(days=120))}.",
        ),
        (
            "Follow-up",
            "Internal audit will test the implementation of the recommendations in the next "
            "audit year and report progress to the Audit and Risk Assurance Committee. "
            "Overdue actions are escalated to the accounting officer.",
        ),
    ]
    return _Draft(
        f"{ref} internal audit report - {topic.name}.txt",
        f"Internal audit report {ref}: {topic.programme}",
        _document(ctx, f"INTERNAL AUDIT REPORT {ref}", sections),
        "report",
        f"Internal audit of the {topic.programme} giving {opinion.lower()} assurance.",
    )


_RISKS = (
    (
        "Major flood event exceeds response capacity",
        "Mutual aid agreements with neighbouring authorities; annual national flood exercise; "
        "temporary barriers pre-positioned before forecast storms",
    ),
    (
        "Failure of legacy casework system",
        "Replacement in beta; extended support contract; weekly restore tests of backups",
    ),
    (
        "Cyber attack disrupts operational technology",
        "Segregation of operational technology from the corporate network; NCSC advisories "
        "monitored daily; incident response retainer in place",
    ),
    (
        "Loss of key skills in digital and commercial roles",
        "Pay flexibilities for specialist roles; apprenticeships; knowledge harvest interviews "
        "for every leaver in a business-critical role",
    ),
    (
        "Capital programme overspend from construction inflation",
        "Optimism bias held centrally; early contractor involvement; monthly cost reviews",
    ),
    (
        "Estates consolidation delayed by lease negotiations",
        "Break notices served early; Government Property Agency leads negotiations",
    ),
    (
        "Personal data breach in casework",
        "Mandatory data protection training; autocomplete of external addresses disabled; "
        "DPIAs for every new system",
    ),
    (
        "Supplier failure in facilities management",
        "Quarterly financial health checks; contingency plan agreed with a second supplier",
    ),
    (
        "Grant fraud in the community resilience fund",
        "Due diligence checks against the Government Grants Information System; "
        "payment in arrears against evidence; sample monitoring visits",
    ),
    (
        "Records not captured in the file plan",
        "Electronic records management rolled out to all teams; shared drives made read-only; "
        "records managers assigned to each directorate",
    ),
)


def _risk_register_csv(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    quarter = (ctx.day.month - 1) // 3 + 1
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "Risk ID",
            "Risk",
            "Owner",
            "Likelihood (1-5)",
            "Impact (1-5)",
            "Residual score",
            "Trend",
            "Key mitigations",
            "Next review",
        ]
    )
    for index, (risk, mitigation) in enumerate(rng.sample(_RISKS, rng.randint(6, 9)), start=1):
        likelihood, impact = rng.randint(2, 5), rng.randint(3, 5)
        writer.writerow(
            [
                f"CR{index:02d}",
                risk,
                rng.choice(("Owen Pritchard", "Jane Baker", "Sunita Rao", "Richard Coles")),
                likelihood,
                impact,
                likelihood * impact,
                rng.choice(("Stable", "Increasing", "Decreasing")),
                mitigation,
                _short_date(ctx.day + dt.timedelta(days=90)),
            ]
        )
    return _Draft(
        f"Corporate risk register Q{quarter} {ctx.day.year}.csv",
        f"Corporate risk register, quarter {quarter} {ctx.day.year}",
        out.getvalue(),
        "spreadsheet",
        f"Corporate risk register as reviewed by the executive committee in {ctx.day:%B %Y}.",
    )


# ---- ministerial business --------------------------------------------------------------------

_CONCERNS: dict[str, str] = {
    "flood": "the delay to the flood alleviation scheme in {place}",
    "grants": "an application to the community resilience fund from a group in {place}",
    "digital": "difficulties using the online service to report flooding",
    "estates": "the proposed closure of the department's office in {place}",
    "workforce": "the relocation of civil service jobs to {place}",
}


def _ministerial_letter(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    mp = rng.choice(MPS)
    key = ctx.topic.key if ctx.topic.key in _CONCERNS else "flood"
    concern = _CONCERNS[key].format(**_values(rng))
    ref = f"MC{day.year}/{rng.randint(1000, 19999):05d}"
    constituent = f"{rng.choice(('Mr', 'Mrs', 'Ms', 'Dr'))} {rng.choice(SURNAMES)}"
    received = day - dt.timedelta(days=rng.randint(8, 25))
    minister = _minister(day)
    body = f"""{_banner(ctx.marking)}

{DEPARTMENT}
{HQ_ADDRESS}

Our ref: {ref}
Your ref: {rng.choice(SURNAMES)[:3].upper()}{rng.randint(1000, 9999)}

{mp}
House of {"Lords" if "Lord" in mp else "Commons"}
London SW1A 0AA

{_long_date(day)}

Dear {mp.replace("the Rt Hon ", "").split()[0] if "Lord" not in mp else "Lord Fenwick"},

Thank you for your letter of {_long_date(received)} on behalf of your constituent, {constituent},
about {concern}.

I understand your constituent's frustration and I am grateful to you for raising it.
{_facts(ctx, ctx.topic, 2)}

I can assure you that the department takes these concerns seriously. {_facts(ctx, ctx.topic, 2)}
Officials will write to {constituent} directly with more detail, and I would be happy to meet
you to discuss the position in {rng.choice(PLACES)} if that would be helpful.

I hope this reply is helpful.

Yours sincerely,

{minister}
Minister of State for Resilience

{_banner(ctx.marking)}
"""
    filename = rng.choice(
        (f"{ref.replace('/', '-')} reply.txt", f"Minister's reply to {mp.split(' MP')[0]}.txt")
    )
    return _Draft(
        filename,
        f"Ministerial reply {ref}: {concern}",
        body,
        "letter",
        f"Reply from {minister} to {mp} about {concern}.",
    )


def _submission(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    topic = ctx.topic
    minister = _minister(day)
    decision = day + dt.timedelta(days=rng.randint(5, 15))
    options = (
        f"Option A: continue as now. {_facts(ctx, topic, 1)}",
        "Option B: bring forward the next phase, funded by reprioritising within the "
        f"{topic.programme} budget.",
        "Option C: pause and commission an independent review, reporting in six months.",
    )
    recommended = rng.choice(("A", "B", "C"))
    sections = [
        ("", f"To: {minister}\nFrom: {ctx.author.full_name}, {ctx.author.unit}"),
        (
            "Issue",
            f"Whether to change the approach to the {topic.programme} in the light of recent "
            "evidence and stakeholder pressure.",
        ),
        (
            "Timing",
            f"Routine. A decision by {_long_date(decision)} would allow an announcement "
            "before the parliamentary recess.",
        ),
        ("Recommendation", f"That you agree option {recommended} (paragraph 6)."),
        ("Background", _facts(ctx, topic, 4)),
        ("Options", _bullets(options)),
        (
            "Handling",
            "The press office has prepared reactive lines. The devolved governments have been "
            "informed at official level. HM Treasury officials are content with the financial "
            "position.",
        ),
        (
            "Legal and financial implications",
            "Legal advisers see no significant legal risk in any option. The costs of option B "
            "can be met from within existing budgets.",
        ),
    ]
    return _Draft(
        f"Submission - {topic.programme} - {day:%d.%m.%y}.txt",
        f"Submission to {minister}: {topic.programme}",
        _document(ctx, "SUBMISSION", sections),
        "policy paper",
        f"Ministerial submission recommending option {recommended} for the {topic.programme}.",
    )


def _secret_submission(ctx: _Ctx) -> _Draft:
    day = ctx.day
    sections = [
        ("", f"To: {_minister(day)}\nFrom: {ctx.author.full_name}, Director General"),
        (
            "Issue",
            "The vulnerability of flood telemetry and pumping station control systems to "
            "hostile state cyber activity, and a proposal to accelerate protective measures.",
        ),
        (
            "Recommendation",
            "That you agree to reprioritise £18 million from the capital programme to separate "
            "operational technology at 64 critical pumping stations from the corporate network "
            "by March 2027.",
        ),
        (
            "Background",
            "Reporting shared by the National Cyber Security Centre indicates sustained "
            "reconnaissance of telemetry systems used by flood authorities. Eleven sites on the "
            "Severn and Trent catchments are assessed as critical national infrastructure. "
            "Compromise during a major flood could disable pumps and false-trigger or suppress "
            "warnings to around 40,000 properties.",
        ),
        (
            "Handling",
            "This submission must not be copied or forwarded. Only the Secretary of State, the "
            "Minister and the Permanent Secretary's office are to see it. Public lines will refer "
            "only to routine investment in resilience.",
        ),
    ]
    return _Draft(
        "Submission - telemetry resilience (SECRET).txt",
        "Submission: resilience of flood telemetry to hostile cyber activity",
        _document(ctx, "SUBMISSION", sections),
        "policy paper",
        "Submission recommending urgent separation of operational technology at critical "
        "pumping stations.",
    )


# ---- human resources -------------------------------------------------------------------------

_UNITS = (
    "Operations Directorate",
    "Policy Directorate",
    "Digital and Technology",
    "Finance Directorate",
)
_MANAGER_PRAISE = (
    "has made a strong contribution to",
    "continues to support",
    "has worked hard on",
)
_MANAGER_NOTES = (
    "Objectives for the coming year have been agreed and recorded on the performance system.",
    "A development plan is in place, including the project delivery fundamentals course.",
    "Working pattern and reasonable adjustments were reviewed and remain appropriate.",
    "Feedback from colleagues and stakeholders has been consistently positive.",
)

_BEHAVIOURS = (
    "Communicating and Influencing",
    "Delivering at Pace",
    "Making Effective Decisions",
    "Working Together",
    "Changing and Improving",
    "Seeing the Big Picture",
)


def _personnel_form(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    employee = ctx.subject or _person(rng)
    staff_no = ctx.ref or f"E{rng.randint(10000, 12999)}"
    manager = _person(rng)
    form, answers = rng.choice(
        (
            (
                "Probation review",
                (
                    "Objectives met: yes. The employee has settled well into the team and has "
                    "taken ownership of the monthly performance report.",
                    "Attendance: no concerns. Two days of sickness absence in the period.",
                    "Outcome: probation confirmed with effect from the review date.",
                ),
            ),
            (
                "Flexible working request",
                (
                    "Requested pattern: compressed hours, nine-day fortnight, non-working "
                    "Friday on alternate weeks.",
                    "Business impact: cover for the Friday duty rota can be arranged within the "
                    "team.",
                    "Decision: approved for a six-month trial, to be reviewed by the line manager.",
                ),
            ),
            (
                "Return to work interview",
                (
                    f"Absence: {rng.randint(3, 12)} working days, self-certified then fit note.",
                    "Reason: recorded on the confidential absence record held by HR.",
                    "Adjustments agreed: phased return over two weeks; referral to occupational "
                    "health offered and accepted.",
                ),
            ),
            (
                "Change of personal details",
                (
                    f"New home address: {rng.randint(2, 140)} {rng.choice(SURNAMES)} Road, "
                    f"{rng.choice(PLACES)} {_postcode(rng)}",
                    f"New personal telephone: 07700 900{rng.randrange(1000):03d}",
                    "Emergency contact updated: yes.",
                ),
            ),
            (
                "Leaver notification",
                (
                    f"Last working day: {_long_date(day + dt.timedelta(days=28))}.",
                    "Reason for leaving: resignation, moving to another government department.",
                    "Knowledge handover: knowledge harvest interview requested; successor to be "
                    "named by the line manager.",
                ),
            ),
        )
    )
    lines = [
        _banner(ctx.marking),
        "",
        f"{DEPARTMENT}: People Directorate",
        f"HR FORM: {form.upper()}",
        "",
        f"Employee name: {employee}",
        f"Staff number: {staff_no}",
        f"National Insurance number: {_ni_number(rng)}",
        f"Grade: {rng.choice(GRADES)}",
        f"Business unit: {rng.choice(_UNITS)}",
        f"Line manager: {manager} ({_email_of(manager)})",
        f"Date of form: {_long_date(day)}",
        "",
        "Details",
        "",
        *(f"{n}. {text}" for n, text in enumerate(answers, start=1)),
        "",
        "Line manager comments",
        "",
        f"{employee.split()[0]} {rng.choice(_MANAGER_PRAISE)} the team's work on the "
        f"{ctx.topic.programme}. {rng.choice(_MANAGER_NOTES)}",
        "",
        "Declaration",
        "",
        "I confirm that the information on this form is correct. I understand that it will be held "
        "on my personnel file and processed in line with the department's staff privacy notice "
        "under UK GDPR and the Data Protection Act 2018.",
        "",
        f"Signed (employee): {employee}    Date: {_short_date(day)}",
        f"Signed (line manager): {manager}    Date: {_short_date(day)}",
        f"Processed by: {ctx.author.full_name}, HR Operations",
        "",
        _banner(ctx.marking),
        "",
    ]
    return _Draft(
        f"{staff_no} {form} {day:%Y-%m-%d}.txt",
        f"{form}: {employee} ({staff_no})",
        "\n".join(lines),
        "HR form",
        f"{form} form for {employee}, staff number {staff_no}.",
    )


def _interview_form(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    campaign = f"REC-{day.year}-{rng.randint(100, 999)}"
    role = rng.choice(
        (
            "Senior Policy Adviser, Flood Resilience (SEO)",
            "Senior User Researcher (Grade 7)",
            "Contract Manager (HEO)",
            "Casework Officer (EO)",
            "Estates Project Manager (SEO)",
            "Information Manager (HEO)",
        )
    )
    candidate = f"Candidate {rng.randint(1000, 9999)}"
    lines = [
        _banner(ctx.marking),
        "",
        "INTERVIEW ASSESSMENT FORM",
        "",
        f"Campaign: {campaign}",
        f"Role: {role}",
        f"Candidate: {candidate} (anonymised)",
        f"Interview date: {_long_date(day)}",
        f"Panel chair: {ctx.author.full_name}",
        f"Panel members: {_person(rng)}, {_person(rng)}",
        "",
        "Success Profiles assessment (scores 1 to 7)",
        "",
    ]
    total = 0
    for behaviour in rng.sample(_BEHAVIOURS, 4):
        score = rng.randint(3, 7)
        total += score
        evidence = rng.choice(
            (
                "Gave a clear example of leading stakeholders to agreement on {thing}.",
                "Described prioritising work under pressure during {thing}, with measurable "
                "results.",
                "Evidence was general and did not show the candidate's own role in {thing}.",
                "Weighed options and risks well, using data from {thing} to justify the decision.",
                "Showed how they built a team across organisations for {thing}.",
            )
        ).format(thing=rng.choice(("a flood incident", "a system migration", "a procurement")))
        lines += [f"{behaviour}: {score}", f"Evidence: {evidence}", ""]
    outcome = "Appointable" if total >= 18 else "Not appointable"
    lines += [
        f"Total: {total} out of 28. Outcome: {outcome}.",
        "",
        "Panel notes",
        "",
        f"The candidate answered the technical question on the {ctx.topic.name} portfolio. "
        f"{_facts(ctx, ctx.topic, 2)} The panel agreed the scores by consensus. Feedback will be "
        "offered to the candidate within five working days. Papers for unsuccessful candidates "
        "are kept for two years and then destroyed.",
        "",
        _banner(ctx.marking),
        "",
    ]
    return _Draft(
        f"{campaign} interview form {candidate.split()[1]}.txt",
        f"Interview assessment: {role}, {candidate}",
        "\n".join(lines),
        "HR form",
        f"Interview scoring for {role} in campaign {campaign}; outcome {outcome.lower()}.",
    )


def _recruitment_advert(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    topic = ctx.topic
    role, grade, salary = rng.choice(
        (
            ("Flood Resilience Policy Adviser", "Senior Executive Officer", "£42,150 - £47,260"),
            ("Service Designer", "Grade 7", "£54,580 - £63,310"),
            ("Casework Officer", "Executive Officer", "£29,100 - £32,450"),
            ("Senior Contract Manager", "Grade 7", "£55,020 - £62,870"),
        )
    )
    closing = day + dt.timedelta(days=21)
    sections = [
        (
            "About the job",
            f"{DEPARTMENT} is recruiting a {role} to join the {topic.programme}. "
            f"{_facts(ctx, topic, 3)}",
        ),
        (
            "Responsibilities",
            _bullets(
                (
                    "Lead work with delivery partners and local authorities.",
                    "Prepare briefing and advice for senior officials and ministers.",
                    "Manage risks, budgets and reporting for your area.",
                    "Build effective relationships across the department.",
                )
            ),
        ),
        (
            "Things you need to know",
            f"Grade: {grade}. Salary: {salary} (national). Location: "
            f"{rng.choice(BUILDINGS)}, hybrid working. Closing date: {_long_date(closing)}. "
            "Selection uses Success Profiles: behaviours, experience and a technical question. "
            "Successful candidates must pass baseline personnel security checks.",
        ),
    ]
    return _Draft(
        f"Job advert - {role} ({grade}).txt",
        f"Job advert: {role}, {grade}",
        _document(ctx, f"JOB ADVERT: {role.upper()}", sections),
        "report",
        f"Advert for a {role} ({grade}) in the {topic.programme}, closing {_long_date(closing)}.",
    )


def _grievance_note(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    ref = ctx.ref or f"ER-{day.year}-{rng.randint(1, 40):03d}"
    investigator = _person(rng)
    disciplinary = "Disciplinary" in (ctx.folder.folder.title if ctx.folder else "")
    kind = "disciplinary investigation" if disciplinary else "grievance"
    entries = []
    when = day
    for step in (
        f"Case opened. Terms of reference agreed; {investigator} appointed to investigate.",
        "Meeting with the employee, who was accompanied by a trade union representative. "
        "Notes taken and agreed.",
        "Witness interviews held with three colleagues. Statements signed.",
        "Documentary evidence reviewed, including emails and IT access logs."
        if disciplinary
        else "Documentary evidence reviewed, including team chat messages and rota records.",
        "Investigation report drafted for the decision manager.",
    ):
        entries.append(f"{_short_date(when)}  {step}")
        when += dt.timedelta(days=rng.randint(3, 12))
    lines = [
        _banner(ctx.marking),
        "",
        f"EMPLOYEE RELATIONS CASE NOTE: {ref}",
        "",
        f"Case type: {kind}",
        f"Employee: {ctx.subject or 'a member of staff'} (name withheld on this note)",
        f"HR case manager: {ctx.author.full_name}",
        f"Policy: {'Discipline' if disciplinary else 'Resolving issues at work'} procedure",
        "",
        "Chronology",
        "",
        *entries,
        "",
        "Summary",
        "",
        f"The {kind} concerns "
        + (
            "alleged access to casework records without a business need, contrary to the "
            "acceptable use policy. The audit trail shows repeated views of records belonging "
            "to a neighbour of the employee. "
            if disciplinary
            else "allegations of unreasonable behaviour by a manager, including comments made "
            "in team meetings and the allocation of overtime. "
        )
        + "The employee has been told how to access the Employee Assistance Programme. "
        "Timescales have slipped because of annual leave; the employee was informed in writing.",
        "",
        "Next steps",
        "",
        _bullets(
            (
                "Decision meeting to be arranged with at least five working days' notice.",
                "Right of appeal to be explained in the outcome letter.",
                "Case file to be retained for six years after closure, then destroyed.",
            )
        ),
        "",
        _banner(ctx.marking),
        "",
    ]
    return _Draft(
        f"{ref} case note {day:%d-%m-%Y}.txt",
        f"Employee relations case note {ref}",
        "\n".join(lines),
        "casework note",
        f"HR case note for {kind} {ref}: chronology and next steps.",
    )


def _payroll_csv(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    period = ctx.day.strftime("%B %Y")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["Staff number", "Name", "NI number", "Change type", "Effective date", "Amount (£)", "Note"]
    )
    for _ in range(rng.randint(7, 12)):
        change, note = rng.choice(
            (
                ("New starter", "Contract issued; P45 received"),
                ("Leaver", "Final pay to include untaken annual leave"),
                ("Overtime", "Approved weekend flood incident cover"),
                ("Allowance", "Temporary responsibility allowance"),
                ("Pension", "Opted in to alpha pension scheme"),
                ("Deduction", "Season ticket loan repayment"),
            )
        )
        writer.writerow(
            [
                f"E{rng.randint(10000, 12999)}",
                _person(rng),
                _ni_number(rng),
                change,
                _short_date(ctx.day.replace(day=1)),
                f"{rng.uniform(40, 3200):.2f}",
                note,
            ]
        )
    return _Draft(
        f"Payroll changes {period}.csv",
        f"Payroll changes for {period}",
        out.getvalue(),
        "spreadsheet",
        f"Starters, leavers and pay changes sent to the payroll provider for {period}.",
    )


def _rem_paper(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    director = _person(rng)
    sections = [
        (
            "Purpose",
            f"To seek the committee's agreement to interim arrangements for the post of Director, "
            f"{rng.choice(('Flood Resilience', 'Digital Services', 'Estates', 'Commercial'))}, "
            f"following the departure of {director}.",
        ),
        (
            "Succession",
            "Two potential internal successors were identified in the last talent review. "
            "One is ready now; the other is ready in one to two years with development "
            "support. The committee is asked to agree a temporary promotion for six months "
            "while an open competition runs.",
        ),
        ("Context", _facts(ctx, _TOPIC_BY_KEY["workforce"], 3)),
        (
            "Pay",
            f"The temporary responsibility allowance would be {rng.randint(8, 12)}% of salary, "
            "within the Senior Civil Service pay framework.",
        ),
        (
            "Recommendation",
            "That the committee agrees the temporary promotion, notes the timetable for the open "
            "competition, and asks HR to report back on the diversity of the field before the "
            "shortlist is agreed. The Permanent Secretary will chair the selection panel.",
        ),
    ]
    return _Draft(
        f"NRC paper - succession {director}.txt",
        f"Nominations and remuneration committee paper: succession for {director}'s post",
        _document(ctx, "NOMINATIONS AND REMUNERATION COMMITTEE PAPER", sections),
        "report",
        "Paper on interim arrangements and succession for a director post.",
    )


# ---- estates ---------------------------------------------------------------------------------

_DEFECTS = (
    "water ingress at parapet",
    "corroded pipework",
    "emergency lighting failed test",
    "fire door does not self-close",
    "cracked paving, trip hazard",
)


def _lease_break_letter(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    building = rng.choice(BUILDINGS)
    landlord = rng.choice(
        ("Cathedral Property Holdings Ltd", "Meridian Real Estate LLP", "Northern Estates plc")
    )
    break_date = dt.date(day.year + 1, rng.choice((3, 6, 9, 12)), 24)
    body = f"""{_banner(ctx.marking)}

{DEPARTMENT}
Estates and Facilities
{HQ_ADDRESS}

{landlord}
{rng.randint(1, 90)} {rng.choice(("King Street", "Park Row", "Queen Square"))}
{rng.choice(("Manchester M2 4LQ", "Leeds LS1 2HL", "Bristol BS1 4DJ"))}

{_long_date(day)}

Dear Sirs,

Lease of {building}: notice to exercise the tenant's break option

We write on behalf of the Secretary of State for Resilience and Regional Services, the tenant
under the lease of {building} dated {_long_date(dt.date(2012, 6, 29))}.

In accordance with clause 9 of the lease, the tenant gives notice to terminate the lease on
{_long_date(break_date)} (the break date). The tenant will give vacant possession on or before
the break date and will pay the rent and other sums due under the lease up to that date.

Occupancy of the building has fallen since the introduction of hybrid working, and the
department is consolidating its regional offices into government hubs in line with the
Government Property Agency's estate strategy. Staff based at {building.split(",")[0]} will move
to the {rng.choice(PLACES)} hub, and no redundancies are expected.

We would welcome an early meeting to agree a schedule of dilapidations and the arrangements for
handing back the building. Please contact {ctx.author.full_name} on {_phone(rng)} or
{_email_of(ctx.author.full_name)}.

This notice is also being served by recorded delivery and on your solicitors.

Yours faithfully,

{ctx.author.full_name}
Head of Estates, for and on behalf of the Secretary of State

{_banner(ctx.marking)}
"""
    return _Draft(
        f"Lease break notice \u2013 {building.split(',')[0]}.txt",
        f"Notice to exercise lease break option: {building}",
        body,
        "letter",
        f"Formal notice to {landlord} exercising the tenant's break option at {building}.",
    )


def _occupancy_agreement(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    building = rng.choice(BUILDINGS)
    ref = f"MOTO-{day.year}-{rng.randint(10, 99)}"
    charge = rng.randrange(180_000, 1_400_000, 1000)
    sections = [
        (
            "Parties",
            "(1) The Government Property Agency (the Provider) and (2) the Secretary of State for "
            "Resilience and Regional Services (the Occupier).",
        ),
        (
            "Premises",
            f"Floors {rng.randint(2, 4)} and {rng.randint(5, 7)} of {building}, comprising "
            f"{rng.randint(180, 620)} workstations and associated meeting and welfare space.",
        ),
        (
            "Term",
            f"From {_long_date(day)} for {rng.choice((5, 10, 15))} years, with occupier break "
            "options on each fifth anniversary on twelve months' notice.",
        ),
        (
            "Charges",
            f"Annual occupancy charge of {_whole_pounds(charge)} including rent, service charge, "
            "insurance and facilities management, reviewed each April.",
        ),
        ("Sustainability", _facts(ctx, _TOPIC_BY_KEY["estates"], 3)),
        (
            "Status",
            "This memorandum of terms of occupation is not legally binding between Crown bodies "
            "but records the agreed terms. Disputes go to the Government Property Agency's "
            "dispute resolution procedure.",
        ),
    ]
    return _Draft(
        f"{ref} memorandum of terms of occupation.txt",
        f"Memorandum of terms of occupation {ref}: {building}",
        _document(ctx, f"MEMORANDUM OF TERMS OF OCCUPATION {ref}", sections),
        "contract",
        f"Occupancy agreement with the Government Property Agency for {building}.",
    )


def _condition_survey(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    building = rng.choice(BUILDINGS)
    kind = rng.choice(("Condition survey", "Fire risk assessment", "Planned maintenance report"))
    findings = [
        f"{rng.choice(('Roof', 'Plant room', 'Stairwell B', 'Car park', 'Atrium'))}: "
        f"{rng.choice(_DEFECTS)}. Priority {rng.randint(1, 3)}. "
        f"Estimated cost {_whole_pounds(rng.randrange(800, 45000, 50))}."
        for _ in range(rng.randint(4, 6))
    ]
    sections = [
        ("Building", f"{building}. Inspected by Northgate Facilities Services Ltd."),
        ("Summary", _facts(ctx, _TOPIC_BY_KEY["estates"], 3)),
        ("Findings", _bullets(findings)),
        (
            "Recommendations",
            "Priority 1 items to be completed within 30 days through the facilities management "
            "contract. Priority 2 and 3 items to be included in the planned maintenance "
            "programme and the next capital bid.",
        ),
    ]
    return _Draft(
        f"{kind} - {building.split(',')[0]} {ctx.day:%b %Y}.txt",
        f"{kind}: {building}",
        _document(ctx, f"{kind.upper()}: {building.upper()}", sections),
        "report",
        f"{kind} of {building} with {len(findings)} findings and recommended remedial work.",
    )


def _helpdesk_email(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    building = rng.choice(BUILDINGS)
    job = f"FM-{rng.randint(100000, 999999)}"
    fault = rng.choice(
        (
            "no heating on the third floor",
            "a leak from the ceiling above the post room",
            "a lift stuck between floors two and three",
            "access control gates rejecting valid passes",
        )
    )
    body = f"""{_banner(ctx.marking)}

From: {ctx.author.full_name} <{_email_of(ctx.author.full_name)}>
To: FM Helpdesk <helpdesk@northgate-fm.co.uk>
Date: {ctx.when:%a, %d %b %Y %H:%M} +0000
Subject: {job} escalation - {building}

Hello,

I am escalating job {job}, raised {rng.randint(2, 6)} days ago, reporting {fault} at
{building}. The contract requires a response within four hours for a priority 2 fault and a fix
within two working days; both targets have now been missed.

Please send an engineer today and confirm the expected time of arrival. If parts are needed,
please give me a firm date for delivery. Staff have been moved to other floors in the meantime,
which is reducing the space available for the all-staff event on Thursday.

{_facts(ctx, _TOPIC_BY_KEY["estates"], 2)}

I will raise the missed targets at the monthly contract review, where service credits may apply
under schedule 6 of contract CON-2020-0117.

Kind regards,
{ctx.author.full_name}
Facilities Manager, {ctx.author.unit}
{_phone(rng)}

{_banner(ctx.marking)}
"""
    return _Draft(
        f"Escalation {job} ({building.split(',')[0]}).txt",
        f"Facilities helpdesk escalation {job}",
        body,
        "email",
        f"Escalation to the facilities contractor about {fault} at {building}.",
    )


# ---- technology ------------------------------------------------------------------------------


def _major_incident_report(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    ref = f"MI-{ctx.day:%Y}-{rng.randint(1, 60):03d}"
    service = rng.choice(SERVICES)
    start = ctx.when.replace(hour=rng.randint(6, 15), minute=rng.choice((5, 20, 35, 50)))
    hours = rng.randint(1, 9)
    cause = rng.choice(
        (
            "an expired TLS certificate on the API gateway",
            "a database failover that did not complete",
            "a faulty configuration change deployed outside the change window",
            "a capacity limit reached at the cloud hosting provider",
            "a distributed denial of service attack mitigated by the content delivery network",
        )
    )
    timeline = [
        f"{start:%H:%M} Monitoring alert: error rate above 5% on the {service}.",
        f"{start + dt.timedelta(minutes=12):%H:%M} Major incident declared; bridge call opened.",
        f"{start + dt.timedelta(minutes=40):%H:%M} Cause identified as {cause}.",
        f"{start + dt.timedelta(hours=hours):%H:%M} Service restored and monitored.",
    ]
    sections = [
        ("Summary", f"The {service} was unavailable or degraded for about {hours} hours."),
        ("Impact", _facts(ctx, ctx.topic, 2)),
        ("Timeline", "\n".join(timeline)),
        ("Root cause", f"The root cause was {cause}."),
        (
            "Actions",
            _bullets(
                (
                    "Add automated expiry monitoring and alerting.",
                    "Rehearse failover quarterly and record the results.",
                    "Update the runbook and share lessons with the suppliers.",
                )
            ),
        ),
        (
            "Communications",
            "A banner was placed on the service start page within 30 minutes and updates were "
            "posted on the status page every hour. The contact centre was briefed and handled "
            f"{rng.randint(40, 400)} extra calls. Users who could not complete their "
            "application were emailed once the service was restored.",
        ),
    ]
    return _Draft(
        f"{ref} major incident report.txt",
        f"Major incident report {ref}: {service}",
        _document(ctx, f"MAJOR INCIDENT REPORT {ref}", sections),
        "report",
        f"Post-incident review of a {hours}-hour outage of the {service} caused by {cause}.",
    )


def _incident_log_csv(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Ticket", "Opened", "Priority", "Service", "Summary", "Resolved", "Team"])
    for _ in range(rng.randint(8, 14)):
        opened = ctx.day - dt.timedelta(days=rng.randint(0, 30))
        writer.writerow(
            [
                f"INC{rng.randint(100000, 999999)}",
                _short_date(opened),
                f"P{rng.randint(1, 4)}",
                rng.choice(SERVICES),
                rng.choice(
                    (
                        "Users unable to sign in",
                        "Slow search results",
                        "File upload fails for large PDFs",
                        "Email notifications delayed",
                        "Laptop will not connect to VPN",
                        "Printer queue stuck on floor 3",
                    )
                ),
                _short_date(opened + dt.timedelta(days=rng.randint(0, 5))),
                rng.choice(("Service desk", "Platform", "Applications", "Networks")),
            ]
        )
    return _Draft(
        f"Incident log {ctx.day:%Y-%m}.csv",
        f"IT incident log, {ctx.day:%B %Y}",
        out.getvalue(),
        "spreadsheet",
        f"Service desk incidents opened in {ctx.day:%B %Y} with priority and resolution dates.",
    )


def _highlight_report(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    project = ctx.subject or "Flood warning digital service"
    phase = rng.choice(("Discovery", "Alpha", "Private beta", "Public beta", "Live"))
    rag = rng.choice(("Green", "Amber", "Amber/Red", "Green"))
    topic = _TOPIC_BY_KEY["digital"]
    sections = [
        ("Project", f"{project} ({ctx.ref or 'PRJ'}). Phase: {phase}. Overall status: {rag}."),
        ("Progress this period", _facts(ctx, topic, 3)),
        (
            "Next period",
            _bullets(
                rng.sample(
                    (
                        "Complete the accessibility fixes and retest with assistive technology.",
                        "Run usability sessions with local authority flood officers.",
                        "Prepare for the service assessment.",
                        "Migrate the remaining case data and reconcile record counts.",
                        "Agree the support model with the live services team.",
                        "Publish the privacy notice and complete the DPIA.",
                    ),
                    3,
                )
            ),
        ),
        (
            "Decisions needed from the programme board",
            rng.choice(
                (
                    "Agree to extend the private beta by four weeks to complete the fixes.",
                    "Approve the drawdown of contingency for extra developer capacity.",
                    "Confirm the date for switching off the legacy system.",
                )
            )
            + " The team also asks the board to note the dependency on the identity service.",
        ),
        (
            "Risks and issues",
            f"{_facts(ctx, _TOPIC_BY_KEY['cyber'], 1)} Budget: "
            f"{rng.choice(('on track', 'forecast overspend of 4%', 'underspend from vacancies'))}.",
        ),
    ]
    return _Draft(
        f"{ctx.ref or 'PRJ'} highlight report {ctx.day:%d-%m-%Y}.md".replace("/", "-"),
        f"Highlight report: {project}, {ctx.day:%B %Y}",
        _markdown(ctx, f"Highlight report: {project}", sections),
        "report",
        f"Fortnightly highlight report for the {project} ({phase}), status {rag}.",
    )


def _markdown(ctx: _Ctx, heading: str, sections: Sequence[tuple[str, str]]) -> str:
    lines = [
        _banner(ctx.marking),
        "",
        f"# {heading}",
        "",
        f"*{DEPARTMENT}, {ctx.author.unit}. {ctx.author.full_name}, {_long_date(ctx.day)}.*",
    ]
    for title, text in sections:
        lines += ["", f"## {title}", "", text]
    return "\n".join([*lines, "", _banner(ctx.marking), ""])


def _service_assessment(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    project = ctx.subject or "Flood warning digital service"
    phase = rng.choice(("alpha", "beta", "live"))
    result = rng.choice(("Met", "Met", "Not met"))
    points = [
        f"{n}. {name}: {rng.choice(('met', 'met', 'not met'))}"
        for n, name in enumerate(
            (
                "Understand users and their needs",
                "Solve a whole problem for users",
                "Make sure everyone can use the service",
                "Have a multidisciplinary team",
                "Use agile ways of working",
                "Make new source code open",
                "Operate a reliable service",
            ),
            start=1,
        )
    ]
    sections = [
        ("Result", f"{result}. {project}, {phase} assessment."),
        ("Service Standard points", "\n".join(points)),
        ("What the team did well", _facts(ctx, _TOPIC_BY_KEY["digital"], 3)),
        (
            "What the team needs to explore",
            "Test the service with users of assistive technology and with people who have low "
            "digital confidence. Show how the service will handle peak demand during a major "
            "flood event, when traffic can rise forty-fold in an hour.",
        ),
    ]
    return _Draft(
        f"Service assessment report - {project} ({phase}).md",
        f"Service assessment: {project}, {phase}",
        _markdown(ctx, f"Service assessment report: {project}", sections),
        "report",
        f"{phase.capitalize()} service assessment of the {project}: {result.lower()}.",
    )


# ---- legal -----------------------------------------------------------------------------------


def _legal_advice(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    topic = ctx.topic
    question = {
        "flood": "whether the department may fund maintenance of privately owned flood defences",
        "procurement": "whether a contract variation is permitted under the Procurement Act 2023",
        "information": "whether draft advice to ministers can be withheld under section 35 FOIA",
        "grants": "whether grants to parish councils are subject to subsidy control",
    }.get(topic.key, "the department's powers in this area")
    ref = f"LA/{ctx.day.year}/{rng.randint(100, 999)}"
    sections = [
        ("Privilege", "LEGALLY PRIVILEGED: legal advice. Do not forward without asking Legal."),
        ("Question", f"You have asked {question}."),
        (
            "Short answer",
            rng.choice(
                (
                    "Yes, subject to the conditions set out below.",
                    "Probably not, unless the arrangement is restructured as described below.",
                    "Yes, but the risk of challenge is moderate and should be managed.",
                )
            ),
        ),
        (
            "Analysis",
            f"The relevant powers are found in the Flood and Water Management Act 2010 and "
            f"section 31 of the Local Government Act 2003. {_facts(ctx, topic, 2)} A court "
            "would look at whether the decision-maker took relevant considerations into account "
            "and followed a fair process, including any legitimate expectation created by "
            "published guidance.",
        ),
        (
            "Next steps",
            "Record the reasons for the decision in the submission, consult the Treasury "
            "Solicitor if the value exceeds delegated limits, and keep this advice on the "
            "legal file rather than the policy file.",
        ),
    ]
    return _Draft(
        f"{ref.replace('/', '-')} advice - {_safe(question)[:40]}.txt",
        f"Legal advice {ref}: {question}",
        _document(ctx, f"LEGAL ADVICE {ref}", sections),
        "report",
        f"Advice from the Legal Advisers' Office on {question}.",
    )


def _litigation_note(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    ref = ctx.ref or f"LIT-{day.year}-{rng.randint(1, 40):03d}"
    claimant = ctx.subject or "the claimant"
    steps = (
        f"Pre-action protocol letter received from solicitors for {claimant}.",
        "Response to the pre-action letter agreed with the Government Legal Department.",
        "Claim form and grounds served; acknowledgment of service filed.",
        "Witness statement from the policy lead drafted and checked against the file.",
        "Disclosure search of the file plan and email archive completed; legal hold placed.",
        "Counsel's advice on prospects received and shared with the client team.",
    )
    entries = []
    when = day
    for step in rng.sample(steps, 4):
        entries.append(f"{_short_date(when)}  {step}")
        when += dt.timedelta(days=rng.randint(5, 30))
    sections = [
        ("Case", f"{ref}. Claimant: {claimant}. Lawyer: {ctx.author.full_name}."),
        ("Chronology", "\n".join(entries)),
        ("Issues", _facts(ctx, ctx.topic, 3)),
        (
            "Assessment",
            f"Prospects of a successful defence are assessed at {rng.randint(45, 80)}%. "
            "Settlement has not been authorised. Records relevant to the claim are under legal "
            "hold and must not be destroyed or amended. Costs to date are within the budget "
            "agreed with the client director.",
        ),
    ]
    return _Draft(
        f"{ref} case note {day:%Y%m%d}.txt",
        f"Litigation case note {ref}",
        _document(ctx, f"LITIGATION CASE NOTE {ref}", sections),
        "casework note",
        f"Case note for {ref} ({claimant}): chronology, issues and assessment.",
    )


def _ns_litigation_note(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    ref = ctx.ref or "LIT-2024-NS1"
    sections = [
        (
            "Case",
            f"{ref}. Claimant: {ctx.subject}. Closed material procedure under the Justice "
            "and Security Act 2013.",
        ),
        (
            "Closed material",
            "The closed bundle contains assessments that the claimant's telemetry equipment "
            "included undisclosed remote access functions and that the supplier's parent "
            "company is subject to direction by a foreign intelligence service. Disclosure "
            "would reveal sources and the department's detection capability.",
        ),
        (
            "Special advocate",
            f"The special advocate was served with the closed material on {_long_date(day)}. "
            "Gisting of paragraphs 4 to 9 has been agreed; paragraphs 10 to 14 remain closed.",
        ),
        (
            "Open case",
            "In the open proceedings the claimant argues that the exclusion decision was "
            "irrational and breached the procurement rules. The open defence relies on the "
            "supplier's failure to meet the security schedule, which does not depend on the "
            "closed material.",
        ),
        (
            "Handling",
            "The department will apply for a further closed hearing on the supplier's firmware. "
            "Papers to be held only on the SECRET system and in the secure room on floor 6. "
            "Access limited to named legal and security staff. "
            f"Next hearing in {rng.choice(MONTHS)}.",
        ),
    ]
    return _Draft(
        f"{ref} closed material note.txt",
        f"Closed material note {ref}",
        _document(ctx, f"CLOSED MATERIAL NOTE {ref}", sections),
        "casework note",
        "Note on closed material and gisting in national security litigation.",
    )


def _pii_advice(ctx: _Ctx) -> _Draft:
    ref = ctx.ref or "LIT-2024-NS1"
    sections = [
        (
            "Advice",
            f"In {ref} the Secretary of State should sign a public interest immunity certificate "
            "covering the intelligence assessments relied on to exclude the supplier. The "
            "balance favours non-disclosure: the material would reveal the capability used to "
            "examine firmware on flood telemetry outstations.",
        ),
        (
            "Material covered",
            "Technical assessment of outstation firmware; correspondence with the National Cyber "
            "Security Centre; two threat assessments prepared by the Departmental Security Unit.",
        ),
        (
            "Risks",
            "If the certificate is not upheld the department may need to concede the claim "
            "rather than disclose. Damages exposure is estimated at £2.4 million.",
        ),
        (
            "Procedure",
            "The Secretary of State must personally consider the material and the balance of "
            "public interests before signing; a draft certificate and a sensitive schedule "
            "will be provided in the secure reading room. The Government Legal Department will "
            "lodge the certificate and notify the special advocate. All papers stay on the "
            "SECRET system.",
        ),
    ]
    return _Draft(
        f"{ref} PII certificate advice.txt",
        f"Advice on public interest immunity certificate, {ref}",
        _document(ctx, f"ADVICE ON PUBLIC INTEREST IMMUNITY {ref}", sections),
        "report",
        "Advice that a public interest immunity certificate should be sought.",
    )


# ---- procurement -----------------------------------------------------------------------------


_TENDERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "hydraulic modelling and flood risk mapping services",
        (
            "Brightwater Environmental Consultants LLP",
            "Bluestone Engineering Ltd",
            "Calder & Rowe Associates",
            "Severn Hydrology Ltd",
        ),
    ),
    (
        "a digital delivery partner for the grants service",
        ("Kestrel Digital Ltd", "Fernhill Analytics Ltd", "Lanyard Digital Ltd", "Oakbridge Tech"),
    ),
    (
        "integrated facilities management for the regional hubs",
        (
            "Northgate Facilities Services Ltd",
            "Brightclean Contract Services Ltd",
            "Meridian FM Ltd",
            "Corvus Workplace Services",
        ),
    ),
    (
        "evaluation of the community resilience fund",
        (
            "Fernhill Analytics Ltd",
            "Calder & Rowe Associates",
            "Institute for Local Resilience",
            "Brightwater Environmental Consultants LLP",
        ),
    ),
)


def _tender_evaluation(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    ref = f"TND-{day.year}-{rng.randint(10, 99)}"
    requirement, pool = rng.choice(_TENDERS)
    bidders = rng.sample(pool, rng.randint(3, len(pool)))
    rows, totals = [], []
    for bidder in bidders:
        quality, price = rng.randint(38, 68), round(rng.uniform(12, 30), 1)
        totals.append((quality + price, bidder))
        rows.append(
            f"{bidder}: quality {quality}/70, price {price}/30, total {quality + price:.1f}/100"
        )
    winner = max(totals)[1]
    sections = [
        (
            "Requirement",
            f"{requirement.capitalize()}. {_facts(ctx, _TOPIC_BY_KEY['procurement'], 3)}",
        ),
        ("Scores", _bullets(rows)),
        (
            "Recommendation",
            f"Award to the most advantageous tender, {winner}, "
            "subject to a standstill period of eight working days and approval by the "
            "commercial assurance board.",
        ),
        (
            "Moderation",
            "Scores were moderated by the panel on the evidence in the bids. No conflicts of "
            "interest were declared. Commercially sensitive: do not share with bidders.",
        ),
    ]
    return _Draft(
        f"{ref} evaluation report.txt",
        f"Tender evaluation report {ref}: {requirement}",
        _document(ctx, f"TENDER EVALUATION REPORT {ref}", sections),
        "report",
        f"Evaluation and award recommendation for {requirement}, {len(bidders)} bids.",
    )


_CLARIFICATIONS = (
    (
        "Will TUPE apply to staff working on the incumbent contract?",
        "Yes. Indicative TUPE information is in annex 4 of the tender pack.",
    ),
    (
        "Can the department confirm the expected volume of call-outs per month?",
        "Volumes are in the pricing schedule; they are indicative and not guaranteed.",
    ),
    (
        "Is a sub-contractor's cyber certification acceptable in place of our own?",
        "No. Cyber Essentials Plus is required for every organisation that handles "
        "departmental data.",
    ),
    (
        "What is the maximum contract value including the extension options?",
        "The maximum value, including both optional extensions, is stated in the tender notice.",
    ),
)


def _clarification_email(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    ref = f"TND-{ctx.day.year}-{rng.randint(10, 99)}"
    bidder = rng.choice(("Fernhill Analytics Ltd", "Calder & Rowe Associates", "Bluestone Ltd"))
    question, answer = rng.choice(_CLARIFICATIONS)
    body = f"""{_banner(ctx.marking)}

From: {ctx.author.full_name} <{_email_of(ctx.author.full_name)}>
To: All bidders (via the e-sourcing portal)
Date: {ctx.when:%a, %d %b %Y %H:%M} +0000
Subject: {ref} clarification response no. {rng.randint(3, 19)}

Dear bidders,

We have received the following clarification question, which we are sharing with all bidders
together with our answer. The identity of the bidder who asked has been removed.

Question: {question}

Answer: {answer}

For background, the tender pack explains how the procurement will run:
{_facts(ctx, _TOPIC_BY_KEY["procurement"], 2)}

Bidders must not contact members of the evaluation panel or other departmental staff about
this procurement except through the portal. Any attempt to canvass or collude may lead to
exclusion from the competition under the Procurement Act 2023.

The deadline for tender submissions is unchanged. Please submit any further clarification
questions through the portal by 12:00 on {_long_date(ctx.day + dt.timedelta(days=7))}.

Regards,
{ctx.author.full_name}
Commercial Lead, {ctx.author.unit}

{_banner(ctx.marking)}
"""
    return _Draft(
        f"{ref} clarification {bidder.split()[0]} Q&A.txt",
        f"Tender clarification response, {ref}",
        body,
        "email",
        f"Clarification answer shared with all bidders in tender {ref}.",
    )


_CONTRACT_SERVICES = {
    "Kestrel Digital Ltd": "Multidisciplinary digital delivery teams (delivery managers, user "
    "researchers, designers and developers) to build and run the department's digital services, "
    "working to the Service Standard and the Technology Code of Practice.",
    "Northgate Facilities Services Ltd": "Integrated facilities management at the department's "
    "offices and regional hubs: planned and reactive maintenance, helpdesk, security guarding, "
    "reception, cleaning and waste management.",
    "Brightclean Contract Services Ltd": "Daily office cleaning, washroom services, window "
    "cleaning and periodic deep cleans at the London and Bristol offices, with staff paid at "
    "least the Real Living Wage.",
}


def _contract(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    ref = ctx.ref or f"CON-{day.year}-{rng.randint(100, 999):04d}"
    supplier = ctx.subject or "Kestrel Digital Ltd"
    variation = rng.random() < 0.5 and ctx.folder is not None and day > ctx.folder.start
    value = rng.randrange(150_000, 4_800_000, 5000)
    ends = day + dt.timedelta(days=365 * rng.randint(2, 4))
    title = (
        f"Contract variation {ref}/CCN-{rng.randint(1, 9):02d}"
        if variation
        else f"Call-off contract {ref}"
    )
    sections = [
        (
            "Parties",
            f"(1) The Secretary of State for Resilience and Regional Services and (2) {supplier}, "
            f"company number {rng.randrange(10**7, 10**8):08d}.",
        ),
        (
            "Services" if not variation else "Change",
            _CONTRACT_SERVICES.get(supplier, _facts(ctx, ctx.topic, 2))
            + (
                " The parties agree to extend the term by twelve months and to add the services "
                "described in the revised schedule 2."
                if variation
                else f" The services are described in schedule 2 and the {rng.choice(FRAMEWORKS)} "
                "call-off terms apply."
            ),
        ),
        (
            "Term and value",
            f"{'Revised' if variation else 'Initial'} term ends {_long_date(ends)}. "
            f"Maximum contract value {_whole_pounds(value)} excluding VAT.",
        ),
        (
            "Key terms",
            _bullets(
                (
                    "Payment within 30 days of an undisputed invoice.",
                    "Supplier to hold Cyber Essentials Plus and comply with the security schedule.",
                    "Data processing under UK GDPR article 28 as set out in schedule 7.",
                    "Records created for the department belong to the Crown and must be returned "
                    "at exit.",
                )
            ),
        ),
        (
            "Signed",
            f"For the Secretary of State: {ctx.author.full_name}, {_short_date(day)}\n"
            f"For the supplier: {_person(rng)}, Director, {_short_date(day)}",
        ),
    ]
    return _Draft(
        f"{title}.txt".replace("/", "-"),
        f"{title}: {supplier}",
        _document(ctx, title.upper(), sections),
        "contract",
        f"{'Variation to' if variation else 'Signed'} contract {ref} with {supplier}, value "
        f"up to {_whole_pounds(value)}.",
    )


# ---- communications --------------------------------------------------------------------------

_QUOTES = {
    "flood": "This investment will give families and businesses real peace of mind.",
    "grants": "Communities know their own areas best, and this funding puts them in the lead.",
    "digital": "We are making public services simpler, faster and easier to use.",
    "estates": "Moving jobs out of London brings opportunity to every part of the country.",
}


def _press_release(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    topic = ctx.topic
    values = _values(rng)
    headline = rng.choice(
        {
            "flood": (
                "New flood defences to protect {n}00 homes in {place}",
                "Work starts on £{n}{n3} million {place} flood scheme",
            ),
            "grants": (
                "{money} for community groups to prepare for flooding",
                "Volunteer flood wardens backed by new community fund",
            ),
            "digital": (
                "New online service makes it easier to report flooding",
                "Flood warnings now available through GOV.UK One Login",
            ),
            "estates": (
                "Civil service jobs move to new {place} hub",
                "Government hub in {place} opens its doors",
            ),
        }.get(topic.key, ("Minister announces new measures",))
    ).format(**values)
    minister = _minister(day)
    quote = _QUOTES.get(topic.key, _QUOTES["flood"])
    html = f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{headline} - GOV.UK</title>
<meta name="dc.creator" content="{ctx.author.full_name}">
<meta name="govuk:classification" content="{ctx.marking}">
</head>
<body>
<p class="marking">{_banner(ctx.marking)}</p>
<main>
<p class="type">Press release</p>
<h1>{headline}</h1>
<p class="lead">{_facts(ctx, topic, 1)}</p>
<p>From: {DEPARTMENT} and {minister}<br>Published {_long_date(day)}</p>
<p>{_facts(ctx, topic, 3)}</p>
<p>{minister}, Minister of State for Resilience, said:</p>
<blockquote><p>&ldquo;{quote} {_facts(ctx, topic, 1)}&rdquo;</p></blockquote>
<p>{_facts(ctx, topic, 2)}</p>
<h2>Notes to editors</h2>
<ul>
<li>The {topic.programme} is part of the department's plan for a more resilient country.</li>
<li>Figures are from departmental management information and are not official statistics.</li>
<li>Media enquiries: {DEPT_SHORT} press office, {_phone(rng)}, newsdesk@{DOMAIN}</li>
</ul>
</main>
</body>
</html>
"""
    slug = "-".join(_safe(headline).lower().replace("£", "").split())[:60].strip("-")
    return _Draft(
        f"{day:%Y-%m-%d}-{slug}.html",
        headline,
        html,
        "press release",
        f"Press release published {_long_date(day)}: {headline}.",
    )


def _media_enquiry(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    topic = ctx.topic
    journalist = _person(rng)
    outlet = rng.choice(
        (
            "BBC Radio Shropshire",
            "The Yorkshire Post",
            "Construction News",
            "The Guardian",
            "ITV Border",
            "Computer Weekly",
        )
    )
    deadline = ctx.when + dt.timedelta(hours=rng.randint(2, 6))
    body = f"""{_banner(ctx.marking)}

From: {ctx.author.full_name} <{_email_of(ctx.author.full_name)}>
To: Press Office <pressoffice@{DOMAIN}>; {topic.programme} team
Date: {ctx.when:%a, %d %b %Y %H:%M} +0000
Subject: Media enquiry: {outlet} - {topic.name} - deadline {deadline:%H:%M}

All,

{journalist} from {outlet} ({_phone(rng)}) is asking about the {topic.name} work in
{rng.choice(PLACES)}. Questions:

1. Is it true that the scheme is running late and over budget?
2. How many people have been affected so far?
3. Will the minister visit the area?

Proposed lines (for clearance by the policy team and the special adviser):

- {_facts(ctx, topic, 1)}
- {_facts(ctx, topic, 1)}
- "We continue to work closely with local partners and will keep residents informed."

We will not comment on the minister's diary. Background only, not for attribution: the revised
programme will be announced in the next few weeks. Please send comments by
{(deadline - dt.timedelta(hours=1)):%H:%M}.

Thanks,
{ctx.author.full_name}
Press Officer

{_banner(ctx.marking)}
"""
    return _Draft(
        f"Media enquiry {outlet} {ctx.day:%d%m%y}.txt",
        f"Media enquiry from {outlet} about {topic.name}",
        body,
        "email",
        f"Enquiry from {journalist} ({outlet}) with proposed lines on {topic.name}.",
    )


# ---- policy ----------------------------------------------------------------------------------

_RESPONDENTS = ("a county council", "a parish council", "a national charity", "an insurer")


def _policy_paper(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    topic = ctx.topic
    title = rng.choice(
        (
            f"{topic.programme}: options for the next phase",
            f"A new approach to {topic.name}",
            f"{topic.name.capitalize()}: policy statement",
        )
    )
    sections = [
        (
            "Summary",
            f"This paper sets out options for {topic.name} and recommends a preferred approach "
            "for agreement by ministers and write-round to other departments.",
        ),
        ("The problem", _facts(ctx, topic, 3)),
        ("Evidence", _facts(ctx, topic, 3)),
        (
            "Options",
            _bullets(
                (
                    "Do minimum: continue current funding and guidance.",
                    "Targeted: concentrate funding on the highest-risk communities.",
                    "Systemic: new statutory duties on local partners, with new burdens funding.",
                )
            ),
        ),
        (
            "Impacts",
            "The preferred option has been screened for equalities impacts under the public "
            "sector equality duty, for environmental principles, and for new burdens on local "
            "authorities. A full impact assessment will accompany any legislation.",
        ),
    ]
    return _Draft(
        f"{_safe(title)} v{rng.randint(1, 4)}.{rng.randint(0, 9)}.txt",
        title,
        _document(ctx, f"POLICY PAPER: {title.upper()}", sections),
        "policy paper",
        f"Policy options paper on {topic.name} for ministers.",
    )


def _evidence_report(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    topic = ctx.topic
    method = rng.choice(
        (
            f"a survey of {rng.randint(900, 4000)} households",
            f"{rng.randint(20, 60)} depth interviews with local partners",
            "analysis of administrative data from 2015 onwards",
            "a rapid evidence assessment of published studies",
        )
    )
    sections = [
        ("Summary", f"This report presents findings from {method} on {topic.name}."),
        ("Method", f"The research used {method}, commissioned from Fernhill Analytics Ltd."),
        ("Findings", _bullets([_facts(ctx, topic, 1) for _ in range(4)])),
        (
            "Limitations",
            "Findings are not necessarily representative of all areas. Self-reported behaviour "
            "may differ from what people actually do during an emergency.",
        ),
        (
            "Implications for policy",
            _facts(ctx, topic, 2),
        ),
    ]
    return _Draft(
        f"Research report - {topic.name} ({ctx.day.year}).txt",
        f"Research report: {topic.name}, {ctx.day.year}",
        _document(ctx, f"RESEARCH REPORT: {topic.name.upper()}", sections),
        "report",
        f"Research findings on {topic.name} from {method}.",
    )


def _secret_evidence(ctx: _Ctx) -> _Draft:
    sections = [
        (
            "Summary",
            "Assessment of hostile state interest in UK flood forecasting and warning systems, "
            "prepared to inform the flood resilience policy review.",
        ),
        (
            "Evidence base",
            "The assessment draws on reporting from the National Cyber Security Centre, "
            "incident data from risk management authorities and a technical review of "
            "outstation firmware. Confidence is moderate: the reporting is consistent but comes "
            "from a small number of sources, and some suppliers did not respond to requests "
            "for information.",
        ),
        (
            "Key judgements",
            _bullets(
                (
                    "It is highly likely that a state actor has mapped internet-facing telemetry "
                    "outstations used by flood authorities.",
                    "It is unlikely that the actor intends disruption in peacetime; the likely "
                    "aim is pre-positioning.",
                    "Seven suppliers of outstation equipment have weak update mechanisms.",
                )
            ),
        ),
        (
            "Policy implications",
            "The review should include minimum security requirements for telemetry suppliers "
            "and a duty on risk management authorities to report cyber incidents.",
        ),
        (
            "Handling",
            "Derived from reporting at SECRET. Do not quote in policy papers at OFFICIAL. "
            "Contact the Departmental Security Unit before using any of this material.",
        ),
    ]
    return _Draft(
        "Hostile state interest in flood telemetry - assessment.txt",
        "Assessment: hostile state interest in flood forecasting and warning systems",
        _document(ctx, "ASSESSMENT", sections),
        "report",
        "Sensitive assessment of hostile state interest in flood telemetry.",
    )


def _consultation_response(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    topic = ctx.topic
    responses = rng.randint(140, 2600)
    name = f"Consultation on {topic.name}"
    sections = [
        (
            "Introduction",
            f"The consultation ran for twelve weeks and received {responses} responses: "
            f"{rng.randint(40, 70)}% from individuals, {rng.randint(10, 30)}% from local "
            "authorities and the rest from businesses, charities and professional bodies.",
        ),
        ("What we heard", _facts(ctx, topic, 3)),
        (
            "Stakeholder views",
            f'"{_facts(ctx, topic, 1)}" ({rng.choice(_RESPONDENTS)})',
        ),
        (
            "Government response",
            "The government will proceed with the proposals, with changes to the timetable and "
            "more support for small organisations. A further technical consultation will follow.",
        ),
        (
            "Method of analysis",
            "Every response was read and coded against the consultation questions by two "
            "analysts. Campaign responses using identical wording were counted individually "
            "but analysed once. Percentages are of those who answered each question, not of "
            "all respondents, and the analysis does not weight responses by organisation size.",
        ),
    ]
    return _Draft(
        f"{name} - summary of responses.txt",
        f"{name}: summary of responses and government response",
        _document(ctx, f"{name.upper()}: SUMMARY OF RESPONSES", sections),
        "policy paper",
        f"Analysis of {responses} consultation responses on {topic.name} and the government "
        "response.",
    )


_STAKEHOLDERS: dict[str, tuple[str, ...]] = {
    "flood": (
        "Association of Drainage Authorities",
        "Flood Action Network",
        "Lowmoor District Council",
    ),
    "grants": (
        "National Association of Parish Councils",
        "Community Action Network",
        "Wessex Community Foundation",
    ),
    "digital": (
        "Local Government Digital Network",
        "Digital Access Alliance",
        "Lowmoor District Council",
    ),
}


def _stakeholder_response(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    topic = ctx.topic
    org = rng.choice(_STAKEHOLDERS.get(topic.key, _STAKEHOLDERS["flood"]))
    body = f"""{_banner(ctx.marking)}

{org}

Response to the consultation on {topic.name}

{_long_date(ctx.day)}

Dear consultation team,

{org} welcomes the opportunity to respond. Our members work on {topic.name} every day,
and many of them took part in the workshops held during the consultation period.

{_facts(ctx, topic, 3)}

We support the direction of the proposals but have three concerns. First, the timetable is too
short for small organisations. Secondly, any new duties must come with funding. Thirdly, data
sharing arrangements must be in place before the new approach starts.

{_facts(ctx, topic, 2)}

We would be happy to discuss our response. Contact: {_person(rng)}, {_phone(rng)}.

Yours faithfully,

{_person(rng)}
Chief Executive, {org}

{_banner(ctx.marking)}
"""
    return _Draft(
        f"Consultation response - {org}.txt",
        f"Consultation response from {org}",
        body,
        "letter",
        f"Response from {org} to the consultation on {topic.name}.",
    )


# ---- casework --------------------------------------------------------------------------------

_GRIEVANCES = (
    "I have waited months for an answer.",
    "Nobody has returned my calls.",
    "The information I was given was wrong.",
)
_COMPLAINT_SORRY = (
    "I apologise for the poor service you received and have arranged for your case to be "
    "reviewed by a senior caseworker."
)
_COMPLAINT_NOT_UPHELD = "I recognise that this will be disappointing."
_COMPLAINT_STAGE_1 = (
    "If you remain unhappy you may ask for a stage 2 review by the Director of Operations "
    "within 28 days."
)
_COMPLAINT_STAGE_2 = (
    "This is our final response. If you remain unhappy you can ask your MP to refer your "
    "complaint to the Parliamentary and Health Service Ombudsman."
)


def _grant_case_note(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    ref = ctx.ref or f"CASE-{day.year}-{rng.randint(1, 2000):05d}"
    applicant = ctx.subject or "the applicant"
    amount = rng.randrange(4_000, 48_000, 250)
    steps = (
        f"Application received from {applicant} requesting {_pounds(amount)}.",
        "Eligibility check: constituted group, bank account verified, match funding evidenced.",
        "Called the applicant's treasurer to clarify the cost of the flood store and sandbags.",
        f"Assessment scored {rng.randint(52, 88)}/100 against the published criteria.",
        "Due diligence: no duplicate funding found on the Government Grants Information System.",
        "Decision panel approved the award; offer letter drafted.",
        "Monitoring visit arranged with the volunteer coordinator.",
    )
    entries = []
    when = ctx.when
    for step in rng.sample(steps, rng.randint(4, 6)):
        entries.append(f"{_short_date(when.date())} {when:%H:%M} {ctx.author.full_name}: {step}")
        when += dt.timedelta(days=rng.randint(1, 14))
        when = when.replace(hour=rng.randint(8, 17), minute=rng.randrange(60))
    lines = [
        _banner(ctx.marking),
        "",
        f"CASE NOTE: {ref}",
        f"Scheme: Community Resilience Fund, round {rng.randint(1, 4)}",
        f"Applicant: {applicant}",
        f"Contact: {_person(rng)}, {_phone(rng)}, postcode {_postcode(rng)}",
        "",
        "Case history",
        "",
        *entries,
        "",
        "Documents received are filed on this case file; bank details are held only in the "
        "finance system.",
        "",
        "Assessment notes",
        "",
        _facts(ctx, ctx.topic, 3),
        "",
        _facts(ctx, _TOPIC_BY_KEY["grants"], 2),
        "",
        _banner(ctx.marking),
        "",
    ]
    return _Draft(
        f"{ref} case note {rng.randint(1, 9)}.txt",
        f"Case note {ref}: {applicant}",
        "\n".join(lines),
        "casework note",
        f"Grant case notes for {ref} ({applicant}), requested {_pounds(amount)}.",
    )


def _grant_offer_letter(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    ref = ctx.ref or f"CASE-{day.year}-{rng.randint(1, 2000):05d}"
    applicant = ctx.subject or "The Secretary"
    amount = rng.randrange(4_000, 48_000, 250)
    body = f"""{_banner(ctx.marking)}

{DEPARTMENT}
Community Resilience Fund
PO Box 7712, Bristol BS1 9XX

{applicant}
{rng.randint(1, 60)} Church Lane, {rng.choice(PLACES)} {_postcode(rng)}

Our reference: {ref}
{_long_date(day)}

Dear {applicant},

Grant offer: Community Resilience Fund

I am pleased to offer you a grant of up to {_pounds(amount)} towards the project described in
your application. The offer is subject to the conditions below and the scheme's standard terms
and conditions, which form part of this letter.

{_facts(ctx, _TOPIC_BY_KEY["grants"], 2)}

Conditions of the grant:

1. The grant may only be spent on the eligible costs listed in the annex.
2. You must claim quarterly in arrears, with evidence of spend and progress.
3. You must tell us at once about any change to the project or your organisation.
4. We may recover the grant if the conditions are not met.

{_facts(ctx, ctx.topic, 2)}

To accept, please sign and return the acceptance form within 28 days. If you have any
questions, contact {ctx.author.full_name} on {_phone(rng)}.

Yours sincerely,

{ctx.author.full_name}
Grants Manager, {ctx.author.unit}

{_banner(ctx.marking)}
"""
    return _Draft(
        f"{ref} grant offer letter.txt",
        f"Grant offer letter {ref}: {applicant}",
        body,
        "letter",
        f"Offer of a grant of up to {_pounds(amount)} to {applicant} ({ref}).",
    )


def _complaint_response(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    ref = ctx.ref or f"CASE-{day.year}-{rng.randint(1, 2000):05d}"
    complainant = ctx.subject or "Sir or Madam"
    stage = rng.choice((1, 1, 2))
    upheld = rng.choice(("upheld", "partly upheld", "not upheld"))
    body = f"""{_banner(ctx.marking)}

{DEPARTMENT}
Customer Complaints Team
{HQ_ADDRESS}

{complainant}
{rng.randint(1, 200)} {rng.choice(SURNAMES)} Avenue
{rng.choice(PLACES)} {_postcode(rng)}

Our reference: {ref}
{_long_date(day)}

Dear {complainant},

Your complaint: stage {stage} response

Thank you for contacting us on {_long_date(day - dt.timedelta(days=rng.randint(5, 18)))}. I am
sorry that you have had cause to complain. I have looked into the issues you raised and my
findings are set out below.

{_facts(ctx, ctx.topic, 3)}

Having reviewed your case file, our records and the relevant guidance, I have decided that your
complaint is {upheld}. {_COMPLAINT_SORRY if upheld != "not upheld" else _COMPLAINT_NOT_UPHELD}

{_COMPLAINT_STAGE_1 if stage == 1 else _COMPLAINT_STAGE_2}

Yours sincerely,

{ctx.author.full_name}
Complaints Manager

{_banner(ctx.marking)}
"""
    return _Draft(
        f"{ref} stage {stage} response.txt",
        f"Stage {stage} complaint response {ref}",
        body,
        "letter",
        f"Stage {stage} response to the complaint from {complainant}: {upheld}.",
    )


def _complaint_email(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    ref = ctx.ref or "CASE"
    complainant = ctx.subject or _person(rng)
    plain = complainant.split()[-1].lower()
    body = f"""{_banner(ctx.marking)}

From: {complainant} <{plain}{rng.randint(10, 99)}@example.com>
To: complaints@{DOMAIN}
Date: {ctx.when:%a, %d %b %Y %H:%M} +0000
Subject: Formal complaint - {ref}

To whom it may concern,

I wish to make a formal complaint. {rng.choice(_GRIEVANCES)}

{_facts(ctx, ctx.topic, 2)} That is all very well, but it has not helped me. I have phoned
{rng.randint(3, 9)} times and each time I was told someone would call back. Nobody did.

I live at {rng.randint(1, 80)} {rng.choice(SURNAMES)} Close, {rng.choice(PLACES)}
{_postcode(rng)} and my phone number is 07700 900{rng.randrange(1000):03d}. I would like a
written explanation, an apology, and to know what you will do to stop this happening again.

{_facts(ctx, ctx.topic, 1)} I expect better from a government department.

Yours,
{complainant}

{_banner(ctx.marking)}
"""
    return _Draft(
        f"Complaint email {ref} {ctx.day:%d-%m-%Y}.txt",
        f"Complaint received {ref}",
        body,
        "email",
        f"Email from {complainant} making a formal complaint ({ref}).",
    )


# ---- information management ------------------------------------------------------------------


def _foi_request(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    ref = f"FOI{day.year}/{rng.randint(100, 1999):05d}"
    requester = _person(rng)
    request = {
        "flood": "all correspondence about the {place} flood alleviation scheme since {year}",
        "estates": "the annual cost of each office building occupied by the department",
        "procurement": "the contracts awarded to Kestrel Digital Ltd and their values",
        "information": "the department's retention schedule and records management policy",
    }.get(ctx.topic.key, "information held about {place}").format(year=day.year - 2, **_values(rng))
    exemption = rng.choice(
        (
            "Some information is withheld under section 43(2) (commercial interests).",
            "Some information is withheld under section 40(2) (personal information).",
            "Some information is withheld under section 35(1)(a) (formulation of government "
            "policy); the public interest test favours withholding it at this time.",
            "All the information you asked for is enclosed.",
        )
    )
    body = f"""{_banner(ctx.marking)}

{DEPARTMENT}
Information Rights Team
{HQ_ADDRESS}

Our reference: {ref}
{_long_date(day)}

Dear {requester},

Freedom of Information Act 2000 request

Thank you for your request of {_long_date(day - dt.timedelta(days=rng.randint(10, 19)))} for
{request}.

I can confirm that the department holds information within the scope of your request. {exemption}

To help you understand the context: {_facts(ctx, ctx.topic, 2)}

If you are not satisfied with this response, you may ask for an internal review within 40
working days by writing to foi@{DOMAIN}. If you remain dissatisfied after the internal review,
you may complain to the Information Commissioner's Office.

Yours sincerely,

{ctx.author.full_name}
Information Rights Team

{_banner(ctx.marking)}
"""
    return _Draft(
        f"{ref.replace('/', '-')} response.txt",
        f"FOI response {ref}: {request}",
        body,
        "letter",
        f"Response to a Freedom of Information request for {request}.",
    )


def _disposal_report(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    batch = f"DSP-{day.year}-{rng.randint(1, 40):03d}"
    destroyed = rng.randint(400, 9000)
    transferred = rng.randint(20, 300)
    sections = [
        (
            "Batch",
            f"Disposal batch {batch}, approved by {ctx.author.full_name}, Departmental Records "
            "Officer, under the retention schedule.",
        ),
        (
            "Outcome",
            f"{destroyed} records destroyed, {transferred} records transferred to The National "
            f"Archives, {rng.randint(0, 40)} records retained for further review and "
            f"{rng.randint(0, 12)} records excluded because they are under legal hold.",
        ),
        ("Context", _facts(ctx, _TOPIC_BY_KEY["information"], 3)),
        (
            "Certificate",
            "Destruction of content, previews and index entries was confirmed for every record "
            "in the batch. Residual metadata stubs are kept as evidence of destruction. Paper "
            "files were destroyed by Pennine Secure Shredding Ltd (certificate attached).",
        ),
        (
            "Authority",
            "Disposal was carried out under the department's retention schedule, agreed with "
            "The National Archives, and section 3 of the Public Records Act 1958. Each record "
            "was reviewed by its information asset owner before approval.",
        ),
    ]
    return _Draft(
        f"Certificate of destruction {batch}.txt",
        f"Certificate of destruction and transfer report, batch {batch}",
        _document(ctx, f"DISPOSAL REPORT AND CERTIFICATE {batch}", sections),
        "report",
        f"Disposal batch {batch}: {destroyed} destroyed, {transferred} transferred to TNA.",
    )


_TOPIC_CLASSES: dict[str, tuple[str, ...]] = {
    "flood": ("POL-DEV-PAP", "POL-DEV-EVD", "CASE-OPS-GRT"),
    "procurement": ("PROC-CM-ITT", "PROC-CM-CON"),
    "digital": ("IT-SVC-PRJ", "IT-SVC-INC"),
    "information": ("INFO-IM-FOI", "INFO-IM-DSP"),
    "estates": ("EST-MGT-LSE", "EST-MGT-MNT", "PROC-CM-CON"),
}


def _knowledge_harvest(ctx: _Ctx) -> _Draft:
    rng = ctx.rng
    topic = ctx.topic
    leaver, successor = _person(rng), _person(rng)
    sections = [
        (
            "Interview",
            f"Knowledge harvest interview with {leaver}, {rng.choice(GRADES)}, before leaving "
            f"the {topic.programme}. Successor: {successor}. Interviewer: "
            f"{ctx.author.full_name}.",
        ),
        ("What you need to know", _facts(ctx, topic, 3)),
        (
            "Key contacts",
            _bullets(
                (
                    f"{_person(rng)} at {rng.choice(ORGS)}: main working contact.",
                    f"{_person(rng)} in the Finance Directorate: budget profiles.",
                    f"{_person(rng)}, Kestrel Digital Ltd: technical lead.",
                )
            ),
        ),
        (
            "Where the records are",
            f"Most of the records are filed in {', '.join(_TOPIC_CLASSES[topic.key])} in the "
            "file plan; decisions are in the ministerial submissions class (GOV-MIN-SUB). Older "
            "material is still on the team shared drive and should be filed before it is closed.",
        ),
        (
            "Tacit knowledge",
            f"{_facts(ctx, topic, 2)} The informal quarterly call with local partners is where "
            "problems surface first; it is not in anyone's diary by default.",
        ),
    ]
    return _Draft(
        f"Knowledge harvest - {leaver} ({topic.name}).md",
        f"Knowledge harvest: {leaver}, {topic.programme}",
        _markdown(ctx, f"Knowledge harvest: {leaver}", sections),
        "report",
        f"Write-up of the knowledge harvest interview with {leaver}; successor {successor}.",
    )


# ---- security --------------------------------------------------------------------------------


_INCIDENTS = (
    (
        "a laptop left on a train between York and London",
        "The laptop was encrypted and locked; the risk of compromise is assessed as low.",
        (
            "Device reported to British Transport Police lost property.",
            "Device remotely wiped through the endpoint management service.",
            "User's passwords and tokens reset as a precaution.",
        ),
    ),
    (
        "an email containing casework personal data sent to the wrong recipient",
        "The email held names, addresses and grant amounts for 14 applicants.",
        (
            "Recipient asked to delete the email and confirm in writing.",
            "Affected applicants' data reviewed by the data protection officer.",
            "Autocomplete of external addresses turned off for the casework team.",
        ),
    ),
    (
        "a credential phishing email reported by 41 members of staff",
        "Three staff entered their credentials; multi-factor authentication blocked sign-in.",
        (
            "Sender domain blocked and messages purged from all mailboxes.",
            "Affected accounts reset and sign-in logs reviewed for 30 days.",
            "Indicators of compromise shared with the NCSC through CiSP.",
        ),
    ),
    (
        "an unescorted visitor found on a restricted floor",
        "The visitor was a contractor whose escort had left the building early.",
        (
            "Visitor escorted off the floor and pass deactivated.",
            "Reception reminded of the escort policy for restricted floors.",
            "CCTV reviewed; no access to secure rooms or papers found.",
        ),
    ),
    (
        "OFFICIAL-SENSITIVE papers left on a printer overnight",
        "The papers were a draft legal advice note; the floor is pass-controlled.",
        (
            "Papers recovered by the security guard on the evening patrol.",
            "Secure print release to be enforced on all printers by the end of the month.",
            "Owner reminded of clear desk and secure printing requirements.",
        ),
    ),
)


def _security_incident(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    ref = f"SI-{day.year}-{rng.randint(1, 300):04d}"
    what, assessment, actions = rng.choice(_INCIDENTS)
    reporter = _person(rng)
    ico = rng.choice(("not reportable to the ICO", "reported to the ICO within 72 hours"))
    sections = [
        (
            "Incident",
            f"{ref}: {what}. Reported on {_long_date(day)} by {reporter} through the security "
            "incident form, within one hour of discovery.",
        ),
        (
            "Assessment",
            f"{assessment} Data protection officer consulted: {ico}. Information involved was "
            f"marked {rng.choice((OFFICIAL, SENSITIVE))}.",
        ),
        ("Actions taken", _bullets(actions)),
        ("Context", _facts(ctx, _TOPIC_BY_KEY["cyber"], 3)),
        (
            "Lessons",
            "Incidents of this kind are reported monthly to the Senior Information Risk Owner. "
            "Teams are reminded that reporting promptly is always the right thing to do; no one "
            "is disciplined for an honest mistake reported quickly.",
        ),
        ("Status", rng.choice(("Closed.", "Open: awaiting confirmation of the actions."))),
    ]
    return _Draft(
        f"{ref} incident report.txt",
        f"Security incident report {ref}",
        _document(ctx, f"SECURITY INCIDENT REPORT {ref}", sections),
        "report",
        f"Security incident {ref}: {what}; {ico}.",
    )


def _vetting_form(ctx: _Ctx) -> _Draft:
    rng, day = ctx.rng, ctx.day
    subject = _person(rng)
    level = rng.choice(("Security Check (SC)", "Developed Vetting (DV)", "Counter-Terrorist Check"))
    granted = day - dt.timedelta(days=rng.randint(400, 2400))
    lines = [
        _banner(ctx.marking),
        "",
        "PERSONNEL SECURITY: CLEARANCE AFTERCARE REVIEW",
        "",
        f"Subject: {subject}",
        f"Staff number: E{rng.randint(10000, 12999)}",
        f"National Insurance number: {_ni_number(rng)}",
        f"Clearance: {level}, granted {_long_date(granted)}",
        f"Review date: {_long_date(day)}",
        f"Sponsor: {ctx.author.full_name}, Departmental Security Unit",
        "",
        "Changes in circumstances declared",
        "",
        rng.choice(
            (
                "Change of partner; partner's details submitted for checks.",
                "Overseas travel to a country of concern for a family wedding; briefed before "
                "travel and debriefed on return.",
                "No changes declared since the last review.",
            )
        ),
        "",
        "Line manager's annual security appraisal",
        "",
        "No concerns about reliability or conduct. Completes security training on time. "
        f"{_facts(ctx, _TOPIC_BY_KEY['cyber'], 2)}",
        "",
        "Security controller's assessment",
        "",
        "The information provided is consistent with previous reviews and with checks against "
        "departmental and government records. No further enquiries are needed. The subject "
        "has been reminded of the duty to report changes in circumstances as they happen, not "
        "only at the annual review, and of the contacts for confidential advice.",
        "",
        "Outcome",
        "",
        "Clearance continued. Next aftercare review in twelve months.",
        "",
        _banner(ctx.marking),
        "",
    ]
    return _Draft(
        f"Aftercare review {subject} {day:%Y}.txt",
        f"Clearance aftercare review: {subject}",
        "\n".join(lines),
        "HR form",
        f"Annual {level} aftercare review for {subject}.",
    )


def _threat_assessment(
    ctx: _Ctx, target: str, background: str, note: str, measures: Sequence[str]
) -> _Draft:
    day = ctx.day
    sections = [
        ("Subject", f"Protective security threat assessment: {target}."),
        (
            "Threat level",
            "National threat level: SUBSTANTIAL. Assessed threat to this target: MODERATE "
            "from hostile state actors; LOW from protest groups; LOW from terrorism.",
        ),
        ("Background", background),
        (
            "Assessment",
            "Reporting indicates reconnaissance of internet-facing outstations and attempts to "
            "obtain engineering drawings through a contractor. No indication of attack "
            f"planning. {note} {_facts(ctx, _TOPIC_BY_KEY['cyber'], 2)}",
        ),
        ("Recommended measures", _bullets(measures)),
        (
            "Validity",
            f"Valid until {_long_date(day + dt.timedelta(days=90))}; review sooner if "
            "reporting changes. Do not copy outside the Departmental Security Unit without the "
            "agreement of the Departmental Security Officer.",
        ),
    ]
    return _Draft(
        f"Threat assessment - {target.split(' and ')[0]}.txt",
        f"Threat assessment: {target}",
        _document(ctx, "PROTECTIVE SECURITY THREAT ASSESSMENT", sections),
        "report",
        f"Protective security threat assessment for {target}.",
    )


def _site_threat_assessment(ctx: _Ctx) -> _Draft:
    return _threat_assessment(
        ctx,
        "Marden-on-Severn pumping station and telemetry network",
        "The pumping station protects around 3,000 homes and the A49. Its telemetry "
        "outstations report river levels to the flood forecasting centre and can be "
        "controlled remotely by the operator's duty engineers.",
        "Protest activity at the site, linked to the planned sale of adjacent land, is expected "
        "to remain peaceful.",
        (
            "Remove drawings of the site from the shared drive and the extranet.",
            "Require escorted access for all contractors for the next three months.",
            "Route telemetry through the segregated operational technology network.",
            "Replace the outstations' default maintenance passwords.",
        ),
    )


def _visit_threat_assessment(ctx: _Ctx) -> _Draft:
    return _threat_assessment(
        ctx,
        "ministerial visit to the Kelsey Bridge flood scheme",
        "The Minister will open the scheme and meet volunteers from the community association. "
        "The visit will be announced on the day. Local media and the regional BBC have been "
        "invited to the photo call on the embankment.",
        "Open-source chatter about the visit is limited and the date has not been published.",
        (
            "Keep the itinerary to the private office, the press office and the police.",
            "Brief the local police counter-terrorism security adviser.",
            "Hold the photo call in the open area by the pumping station, not on the bridge.",
            "Protection officer to carry out a walk-through the day before.",
        ),
    )


# --------------------------------------------------------------------------------------------
# The plan: which documents go where
# --------------------------------------------------------------------------------------------

Maker = Callable[[_Ctx], _Draft]


@dataclass(frozen=True)
class _Recipe:
    cls: str
    make: Maker
    weight: int = 2
    once: bool = False  # only in the first pass (used for the SECRET documents)
    marking: str = ""  # fixed marking; never lower than the class default
    raise_p: float = 0.04  # chance of an OFFICIAL document being raised to OFFICIAL-SENSITIVE
    author: str = ""  # fixed author, instead of one of the class's usual authors
    period: tuple[int, int] = (0, 0)  # first and last calendar year, when the date matters


_RECIPES: tuple[_Recipe, ...] = (
    _Recipe("GOV-BRD-MIN", _minutes, 4),
    _Recipe("GOV-BRD-ARC", _arc_minutes, 1),
    _Recipe("GOV-BRD-ARC", _internal_audit_report, 1),
    _Recipe("GOV-BRD-RSK", _risk_register_csv, 2),
    _Recipe("GOV-BRD-REM", _rem_minutes, 1),
    _Recipe("GOV-BRD-REM", _rem_paper, 1),
    _Recipe("GOV-MIN-COR", _ministerial_letter, 5),
    _Recipe("GOV-MIN-SUB", _submission, 3),
    _Recipe(
        "GOV-MIN-SUB",
        _secret_submission,
        once=True,
        marking=SECRET,
        author="jbaker",
        period=(2024, 2024),
    ),
    _Recipe("FIN-BUD-ALL", _budget_csv, 2, raise_p=0.3),
    _Recipe("FIN-BUD-ALL", _spending_review_paper, 1, raise_p=0.5),
    _Recipe("FIN-AP-INV", _supplier_invoice, 9, raise_p=0.0),
    _Recipe("FIN-AP-INV", _invoice_query_email, 2),
    _Recipe("FIN-AP-EXP", _expense_claims_csv, 2, raise_p=0.0),
    _Recipe("HR-WF-FILE", _personnel_form, 5),
    _Recipe("HR-WF-REC", _interview_form, 2),
    _Recipe("HR-WF-REC", _recruitment_advert, 2, raise_p=0.0),
    _Recipe("HR-WF-ER", _grievance_note, 2),
    _Recipe("HR-WF-PAY", _payroll_csv, 2),
    _Recipe("EST-MGT-LSE", _lease_break_letter, 1),
    _Recipe("EST-MGT-LSE", _occupancy_agreement, 1),
    _Recipe("EST-MGT-MNT", _condition_survey, 2),
    _Recipe("EST-MGT-MNT", _helpdesk_email, 2),
    _Recipe("IT-SVC-INC", _major_incident_report, 2),
    _Recipe("IT-SVC-INC", _incident_log_csv, 1),
    _Recipe("IT-SVC-PRJ", _highlight_report, 3),
    _Recipe("IT-SVC-PRJ", _service_assessment, 1),
    _Recipe("LEG-ADV-OPN", _legal_advice, 3),
    _Recipe("LEG-LIT-CIV", _litigation_note, 2),
    _Recipe("LEG-LIT-NS", _ns_litigation_note, once=True),
    _Recipe("LEG-LIT-NS", _pii_advice, once=True, period=(2025, 2026), author="lchen"),
    _Recipe("PROC-CM-ITT", _tender_evaluation, 2, raise_p=0.6),
    _Recipe("PROC-CM-ITT", _clarification_email, 2),
    _Recipe("PROC-CM-CON", _contract, 3, raise_p=0.15),
    _Recipe("COMMS-MED-PR", _press_release, 4, raise_p=0.0),
    _Recipe("COMMS-MED-ENQ", _media_enquiry, 2),
    _Recipe("POL-DEV-PAP", _policy_paper, 4),
    _Recipe("POL-DEV-EVD", _evidence_report, 2),
    _Recipe(
        "POL-DEV-EVD",
        _secret_evidence,
        once=True,
        marking=SECRET,
        author="smacleod",
        period=(2024, 2025),
    ),
    _Recipe("POL-DEV-CON", _consultation_response, 2),
    _Recipe("POL-DEV-CON", _stakeholder_response, 2, raise_p=0.0),
    _Recipe("CASE-OPS-GRT", _grant_case_note, 4),
    _Recipe("CASE-OPS-GRT", _grant_offer_letter, 2),
    _Recipe("CASE-OPS-CMP", _complaint_email, 2),
    _Recipe("CASE-OPS-CMP", _complaint_response, 2, raise_p=0.15),
    _Recipe("INFO-IM-FOI", _foi_request, 4),
    _Recipe("INFO-IM-DSP", _disposal_report, 1),
    _Recipe("INFO-IM-KH", _knowledge_harvest, 2),
    _Recipe("SEC-PS-INC", _security_incident, 3),
    _Recipe("SEC-PS-VET", _vetting_form, 1),
    _Recipe("SEC-PS-THR", _site_threat_assessment, once=True, period=(2024, 2026)),
    _Recipe("SEC-PS-THR", _visit_threat_assessment, once=True, period=(2025, 2025)),
)

# Chance that a document of each type is declared a record when it is filed.
_DECLARE_P: dict[str, float] = {
    "minutes": 0.85,
    "contract": 0.85,
    "press release": 0.7,
    "policy paper": 0.6,
    "letter": 0.45,
    "invoice": 0.45,
    "report": 0.45,
    "casework note": 0.35,
    "HR form": 0.35,
    "spreadsheet": 0.25,
    "email": 0.1,
}


def _plan(rng: random.Random, count: int) -> list[_Recipe]:
    """Every recipe once (so every class is covered), then weighted picks of the repeatable ones."""
    first = list(_RECIPES)
    rng.shuffle(first)
    first.sort(key=lambda r: not r.once)  # the SECRET documents survive small counts
    repeatable = [r for r in _RECIPES if not r.once]
    rest = rng.choices(repeatable, weights=[r.weight for r in repeatable], k=max(0, count))
    return (first + rest)[:count]


def _business_time(rng: random.Random, start: dt.date, end: dt.date) -> dt.datetime:
    start, end = max(start, DEMO_START), min(end, DEMO_END)
    day = start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))
    while day.weekday() >= 5:  # weekends move to the Friday before
        day -= dt.timedelta(days=1)
    day = max(day, start)
    minute = rng.randint(8 * 60 + 30, 17 * 60 + 45)
    return dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=dt.UTC)


def _choose_marking(rng: random.Random, recipe: _Recipe, default: str) -> str:
    if recipe.marking:
        return max(recipe.marking, default, key=_rank)
    if default == OFFICIAL and rng.random() < recipe.raise_p:
        return SENSITIVE
    return default


def _choose_author(
    rng: random.Random, recipe: _Recipe, marking: str, users: dict[str, DemoUser]
) -> tuple[DemoUser, str]:
    """An author who may see the document; lowers a raised marking when nobody can."""
    default, access, names = _CLASSES[recipe.cls]
    names = (recipe.author,) if recipe.author else names
    for wanted in dict.fromkeys((marking, default)):
        fit = [users[n] for n in names if _may_see(users[n], wanted, access)]
        if fit:
            return rng.choice(fit), wanted
    raise ValueError(f"no demo user may create documents in {recipe.cls} at {marking}")


def _make_document(
    rng: random.Random,
    recipe: _Recipe,
    serial: int,
    folders: dict[str, list[_FolderSpec]],
    users: dict[str, DemoUser],
) -> DemoDocument:
    default = _CLASSES[recipe.cls][0]
    candidates = folders.get(recipe.cls, [])
    folder = rng.choice(candidates) if candidates else None
    start, end = (folder.start, folder.end) if folder else (DEMO_START, DEMO_END)
    if recipe.period != (0, 0):
        first, last = recipe.period
        start, end = max(start, dt.date(first, 1, 1)), min(end, dt.date(last, 12, 31))
    when = _business_time(rng, start, end)
    author, marking = _choose_author(rng, recipe, _choose_marking(rng, recipe, default), users)
    topic_key = folder.topic if folder and folder.topic else rng.choice(_CLASS_TOPICS[recipe.cls])
    ctx = _Ctx(rng, when, marking, author, folder, _TOPIC_BY_KEY[topic_key], serial)
    draft = recipe.make(ctx)
    closed = bool(folder and folder.folder.closed)
    declare = rng.random() < _DECLARE_P.get(draft.doc_type, 0.5) + (0.2 if closed else 0.0)
    return DemoDocument(
        filename=draft.filename,
        title=draft.title,
        content=draft.body.encode("utf-8"),
        mime=draft.mime,
        into_code=folder.folder.code if folder else recipe.cls,
        marking=marking,
        creator=author.username,
        created=when,
        doc_type=draft.doc_type,
        description=draft.description,
        declare_record=declare,
    )


def _unique_filename(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{stem} ({n}){dot}{ext}"
        n += 1
    taken.add(candidate)
    return candidate


def generate_documents(seed: int = 2025, count: int = 160) -> list[DemoDocument]:
    """`count` documents, oldest first; the same seed always gives the same documents."""
    users = _users_by_name()
    folders: dict[str, list[_FolderSpec]] = {}
    for spec in _folder_specs():
        folders.setdefault(spec.folder.parent_code, []).append(spec)
    plan = _plan(random.Random(f"edrm-demo-plan:{seed}"), count)
    documents = [
        _make_document(random.Random(f"edrm-demo-doc:{seed}:{i}"), recipe, i, folders, users)
        for i, recipe in enumerate(plan)
    ]
    documents.sort(key=lambda d: (d.created, d.filename))
    taken: set[str] = set()
    return [replace(d, filename=_unique_filename(d.filename, taken)) for d in documents]
