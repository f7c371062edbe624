"""Demo CRM records for `seed_demo`: enough accounts, people, deals and activities that every page shows something.

Connected to `backoffice.signals.demo_seeded` when this module is imported (accounts.apps does so at start-up).
Everything is derived from one seeded random generator and dates relative to today, so two runs on the same day
give the same data. Records with rules (opportunities, lifetime values, activities) go through the services;
only plain rows without rules (contact addresses) are bulk-inserted.

Opportunities are replayed in date order from a simulated past (created, moved through the pipeline, closed),
and the history and lifetime-value rows each step writes are dated back to that step, so the forecast's
"compare to date" and the account's lifetime-value chart have a past to show.
"""

import datetime as dt
import random
import time
import zoneinfo
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.choices import (
    CLOSED_STATUSES,
    CloseReason,
    Gender,
    LeadStatus,
    OpportunityStatus,
    PhoneType,
    TaskPriority,
    TaskStatus,
)
from accounts.models import (
    Account,
    AccountValueChange,
    BusinessCustomer,
    Contact,
    ContactAddress,
    Lead,
    Opportunity,
)
from accounts.services import (
    account_save,
    business_customer_save,
    contact_save,
    event_save,
    lead_convert,
    note_save,
    opportunity_save,
    record_save,
    task_save,
)
from backoffice.models import CurrencyRate, Organization, User
from backoffice.signals import demo_seeded

SEED = 2026

FEMALE_FIRST_NAMES = [
    "Olivia", "Emma", "Ava", "Sophia", "Isabella", "Mia", "Amelia", "Harper", "Evelyn", "Abigail",
    "Emily", "Ella", "Grace", "Chloe", "Victoria", "Riley", "Aria", "Lily", "Nora", "Zoe",
    "Hannah", "Leah", "Maya", "Claire", "Naomi", "Priya", "Mei", "Fatima", "Ingrid", "Lucia",
]  # fmt: skip
MALE_FIRST_NAMES = [
    "Liam", "Noah", "Oliver", "Elijah", "James", "William", "Benjamin", "Lucas", "Henry", "Theodore",
    "Jack", "Levi", "Alexander", "Daniel", "Michael", "Mason", "Sebastian", "Ethan", "Logan", "Owen",
    "Samuel", "Jacob", "Aiden", "Carlos", "Raj", "Kenji", "Omar", "Lars", "Mateo", "Andre",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Patel", "Kim", "Chen", "Schmidt", "Müller", "Rossi", "Dubois", "Novak", "Larsen", "O'Brien",
]  # fmt: skip
COMPANIES = [
    "Northwind Traders", "Contoso Pharmaceuticals", "Fabrikam Industries", "Adventure Works Cycles",
    "Tailspin Toys", "Wide World Importers", "Litware Systems", "Proseware Labs", "Coho Vineyard",
    "Alpine Ski House", "Blue Yonder Airlines", "Fourth Coffee", "Graphic Design Institute", "Humongous Insurance",
    "Lucerne Publishing", "Margie's Travel", "Southridge Video", "Trey Research", "Woodgrove Bank",
    "Wingtip Outfitters", "Relecloud Hosting", "Bellows College", "Best For You Organics", "Consolidated Messenger",
    "First Up Consultants", "Lamna Healthcare", "Munson's Pickles", "Nod Publishers", "Olympia Fitness",
    "Phone Company Direct", "School of Fine Art", "VanArsdel Foods", "Baldwin Museum of Science",
    "City Power & Light", "Datum Corporation", "Fineartschool Supplies", "Liberty's Delightful Sweets",
    "Tasmanian Traders", "Wingspan Logistics", "Zava Apparel",
]  # fmt: skip
DIVISIONS = ["Retail", "Wholesale", "EMEA", "North America", "Online", "Procurement", "Field Services"]
JOB_TITLES = [
    "Chief Executive Officer", "Chief Financial Officer", "Head of Procurement", "Purchasing Manager",
    "IT Director", "Operations Manager", "Office Manager", "Sales Director", "Marketing Manager",
    "Facilities Coordinator", "Buyer", "Project Manager", "Controller", "Logistics Lead", "Store Manager",
]  # fmt: skip
CITIES = [
    ("Washington", "DC", "20001"), ("New York", "NY", "10001"), ("Chicago", "IL", "60601"),
    ("San Francisco", "CA", "94105"), ("Boston", "MA", "02108"), ("Houston", "TX", "77002"),
    ("Miami", "FL", "33130"), ("Seattle", "WA", "98101"), ("Atlanta", "GA", "30303"), ("Denver", "CO", "80202"),
]  # fmt: skip
AREA_CODES = ["202", "212", "312", "415", "617", "713", "305", "206", "404", "303"]
STREETS = [
    "Main Street",
    "Oak Avenue",
    "Maple Drive",
    "Park Lane",
    "Cedar Road",
    "Elm Street",
    "Lake View",
    "Hill Road",
]
LEAD_SOURCES = ["Website", "Trade show", "Referral", "Cold call", "Partner", "Webinar", "LinkedIn"]
DEAL_KINDS = [
    "Annual supply contract", "Fleet renewal", "Office fit-out", "Software licences", "Support plan",
    "Pilot project", "Expansion", "Framework agreement", "Seasonal order", "Onboarding package",
]  # fmt: skip
TASK_SUBJECTS = [
    "Call {contact}", "Send the proposal to {account}", "Follow up with {contact}", "Prepare a quote for {account}",
    "Book a demo with {account}", "Check the contract terms of {account}", "Update the forecast",
    "E-mail the price list to {contact}", "Review the account plan of {account}", "Send a thank-you note to {contact}",
]  # fmt: skip
MEETING_TITLES = [
    "Discovery call with {account}", "Demo for {account}", "Quarterly review: {account}", "Lunch with {contact}",
    "Contract negotiation: {account}", "Site visit at {account}", "Kick-off with {account}", "Check-in with {contact}",
]  # fmt: skip
NOTE_TEXTS = [
    "Prefers e-mail over phone; best reached in the morning.",
    "Budget for next year is approved; decision expected after the board meeting.",
    "Asked for references from customers in the same industry.",
    "Competitor offered a 10% discount; we should stress our service levels.",
    "New purchasing manager since last month; introduce ourselves again.",
    "Very happy with the last delivery. Good moment to propose the support plan.",
    "Payment terms: 30 days net. Invoices go to the accounts payable mailbox.",
    "Met at the trade show; interested in the premium range.",
]
# Each open deal walks the pipeline up to its current status; closed ones leave from a random stage.
PIPELINE = [
    OpportunityStatus.IN_PROGRESS,
    OpportunityStatus.IDENTIFICATION_ALIGNMENT,
    OpportunityStatus.NEEDS_ANALYSIS,
    OpportunityStatus.SOLUTION_DEVELOPMENT,
    OpportunityStatus.NEGOTIATION,
]
OPPORTUNITY_MIX = {
    OpportunityStatus.IN_PROGRESS: 12,
    OpportunityStatus.IDENTIFICATION_ALIGNMENT: 11,
    OpportunityStatus.NEEDS_ANALYSIS: 11,
    OpportunityStatus.SOLUTION_DEVELOPMENT: 10,
    OpportunityStatus.NEGOTIATION: 9,
    OpportunityStatus.WON: 17,
    OpportunityStatus.LOST: 10,
}
EUR_RATE = Decimal("1.08000000")


def slug(company: str) -> str:
    """The first word of a company name, fit for an e-mail domain."""
    return "".join(c for c in company.split()[0].lower() if c.isalnum())


@receiver(demo_seeded, dispatch_uid="accounts.demo.seed")
def on_demo_seeded(sender, *, organization: Organization, users: dict[str, User], stdout, **kwargs) -> None:
    """Fill the demo organization with CRM records, once."""
    seed_crm_demo(organization=organization, users=users, stdout=stdout)


@transaction.atomic
def seed_crm_demo(*, organization: Organization, users: dict[str, User], stdout) -> bool:
    """Create the CRM demo records unless the organization already has some; returns whether it did."""
    if (
        Account.objects.filter(organization=organization).exists()
        or Contact.objects.filter(organization=organization).exists()
    ):
        stdout.write("CRM demo data already present; nothing added.")
        return False
    started = time.monotonic()
    CrmDemo(organization=organization, users=users, stdout=stdout).run()
    stdout.write(f"CRM demo data ready in {time.monotonic() - started:.1f} s.")
    return True


@contextmanager
def _acting_as(user: User):
    """Record `user` as the author of history rows, as the request middleware does for web requests."""
    previous = getattr(HistoricalRecords.context, "request", None)
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            del HistoricalRecords.context.request
        else:
            HistoricalRecords.context.request = previous


@dataclass
class _PlannedDeal:
    """One opportunity's story: the statuses it goes through and when."""

    owner: User
    account: Account
    data: dict
    steps: list[tuple[dt.datetime, str]]
    final: dict = field(default_factory=dict)
    opportunity: Opportunity | None = None


class CrmDemo:
    """Builds the demo records of one organization (one instance per run)."""

    def __init__(self, *, organization: Organization, users: dict[str, User], stdout):
        self.organization = organization
        self.stdout = stdout
        self.admin, self.rep1, self.rep2 = users["admin"], users["rep1"], users["rep2"]
        self.owners = [self.rep1, self.rep2, self.rep1, self.rep2, self.admin]
        self.rng = random.Random(SEED)
        self.zone = zoneinfo.ZoneInfo(organization.time_zone)
        self.now = timezone.now()
        self.today = timezone.localdate(self.now, timezone=self.zone)
        self.accounts: list[Account] = []
        self.contacts: list[Contact] = []
        self.account_contacts: dict[int, list[Contact]] = {}
        self.customers: list[BusinessCustomer] = []
        self.leads: list[Lead] = []
        self.opportunities: list[Opportunity] = []

    def run(self) -> None:
        """Create every kind of record, in dependency order, reporting progress."""
        for step in (
            self.currency_rates,
            self.contacts_and_accounts,
            self.business_customers,
            self.leads_and_conversions,
            self.opportunities_over_time,
            self.tasks,
            self.events,
            self.notes,
        ):
            started = time.monotonic()
            summary = step()
            self.stdout.write(f"  {summary} ({time.monotonic() - started:.1f} s)")

    # Helpers ---------------------------------------------------------------------------------

    def local(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), self.zone)

    def past_moment(self, days_ago: int) -> dt.datetime:
        """A working-hours moment `days_ago` days back; never in the future."""
        moment = self.local(self.today - dt.timedelta(days=days_ago), self.rng.randint(9, 17), self.rng.choice([0, 30]))
        return min(moment, self.now - dt.timedelta(minutes=1))

    def phone(self) -> str:
        return f"+1 {self.rng.choice(AREA_CODES)} 555 01{self.rng.randint(0, 99):02d}"

    def money(self, low: int, high: int, step: int = 500) -> Decimal:
        return Decimal(self.rng.randrange(low, high, step))

    # Steps -----------------------------------------------------------------------------------

    def currency_rates(self) -> str:
        CurrencyRate.objects.get_or_create(
            organization=self.organization,
            currency="EUR",
            valid_from=self.today - dt.timedelta(days=365),
            defaults={"rate": EUR_RATE},
        )
        return f"1 EUR = {EUR_RATE.normalize()} {self.organization.base_currency}"

    def contacts_and_accounts(self) -> str:
        rng = self.rng
        companies = list(COMPANIES)
        domains = {name: f"{slug(name)}.example.com" for name in companies}
        # Every contact works for one company (its e-mail domain); a few are freelancers with no account.
        employer = [companies[i % len(companies)] if i % 30 != 29 else None for i in range(300)]
        rng.shuffle(employer)
        used_emails: set[str] = set()
        addresses = []
        by_company: dict[str, list[Contact]] = {name: [] for name in companies}
        freelancers = []
        for company in employer:
            gender = rng.choices([Gender.FEMALE, Gender.MALE, Gender.UNSPECIFIED], weights=[45, 45, 10])[0]
            names = FEMALE_FIRST_NAMES if gender == Gender.FEMALE else MALE_FIRST_NAMES
            if gender == Gender.UNSPECIFIED:
                names = FEMALE_FIRST_NAMES + MALE_FIRST_NAMES
            first, last = rng.choice(names), rng.choice(LAST_NAMES)
            local_part = f"{first}.{last}".lower().replace("'", "").replace("ü", "ue")
            domain = domains[company] if company else rng.choice(["mail.example.com", "post.example.org"])
            email = f"{local_part}@{domain}"
            n = 2
            while email in used_emails:
                email, n = f"{local_part}{n}@{domain}", n + 1
            used_emails.add(email)
            emails = [email]
            if rng.random() < 0.25:
                emails.append(f"{local_part}@personal.example.net")
            phones = [(self.phone(), PhoneType.BUSINESS)]
            if rng.random() < 0.45:
                phones.append((self.phone(), PhoneType.MOBILE))
            if rng.random() < 0.15:
                phones.append((self.phone(), PhoneType.HOME))
            birthday = None
            if rng.random() < 0.6:
                birthday = dt.date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28))
            prefix = ""
            if rng.random() < 0.2:
                prefix = rng.choice(["Dr.", "Ms." if gender == Gender.FEMALE else "Mr."])
            owner = rng.choice(self.owners)
            contact = contact_save(
                actor=owner,
                data={
                    "name_prefix": prefix,
                    "first_name": first,
                    "middle_name": rng.choice([n for n in names if n != first]) if rng.random() < 0.1 else "",
                    "last_name": last,
                    "gender": gender,
                    "birthday": birthday,
                    "job_title": rng.choice(JOB_TITLES),
                    "description": "Met at the spring trade show." if rng.random() < 0.1 else "",
                },
                emails=emails,
                phones=phones,
            )
            self.contacts.append(contact)
            (by_company[company] if company else freelancers).append(contact)
            if rng.random() < 0.7:
                city, region, postal_code = rng.choice(CITIES)
                addresses.append(
                    ContactAddress(
                        contact=contact,
                        label="Office",
                        is_primary=True,
                        street=f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
                        city=city,
                        region=region,
                        postal_code=postal_code,
                        country="US",
                    )
                )
                if rng.random() < 0.2:
                    city, region, postal_code = rng.choice(CITIES)
                    addresses.append(
                        ContactAddress(
                            contact=contact,
                            label="Home",
                            street=f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
                            city=city,
                            region=region,
                            postal_code=postal_code,
                            country="US",
                        )
                    )
        ContactAddress.objects.bulk_create(addresses)

        for index, company in enumerate(companies):
            members = by_company[company]
            if rng.random() < 0.3 and freelancers:
                members = [*members, rng.choice(freelancers)]  # consultants work for several companies
            owner = rng.choice(self.owners)
            referred_by = rng.choice(self.accounts) if self.accounts and rng.random() < 0.2 else None
            account = account_save(
                actor=self.admin,
                data={
                    "name": company,
                    "owner": owner,
                    "contacts": members,
                    "default_contact": members[0] if members else None,
                    "referred_by": referred_by,
                    "description": f"Customer since {2010 + index % 14}." if index % 3 == 0 else "",
                },
            )
            self.accounts.append(account)
            self.account_contacts[account.pk] = members
        return f"{len(self.contacts)} contacts ({len(addresses)} addresses), {len(self.accounts)} accounts"

    def business_customers(self) -> str:
        rng = self.rng
        for index in range(25):
            account = self.accounts[index % 20]
            members = self.account_contacts[account.pk]
            contact = members[0] if members else None
            division = DIVISIONS[index % len(DIVISIONS)] if index >= 20 else rng.choice(DIVISIONS[:3])
            city, _region, postal_code = rng.choice(CITIES)
            street = f"{rng.randint(1, 999)} {rng.choice(STREETS)}"
            domain = f"{slug(account.name)}.example.com"
            emails = [f"orders@{domain}"]
            phones = [(self.phone(), PhoneType.BUSINESS)]
            if index % 3 == 0:
                # Some customers have an accounts-payable address and a buyer's mobile too; derived from the
                # index rather than drawn, so the rest of the demo stays the same.
                emails.append(f"payables@{domain}")
                phones.append(
                    (f"+1 {AREA_CODES[index % len(AREA_CODES)]} 555 01{(50 + index) % 100:02d}", PhoneType.MOBILE)
                )
            customer = business_customer_save(
                actor=self.admin,
                emails=emails,
                phones=phones,
                data={
                    "name": f"{account.name} {division}",
                    "account": account,
                    "contact": contact,
                    "owner": account.owner,
                    "billing_street": street,
                    "billing_city": city,
                    "billing_postal_code": postal_code,
                    "billing_country": "US",
                    "shipping_street": street if rng.random() < 0.6 else f"{rng.randint(1, 999)} Harbor Way",
                    "shipping_city": city,
                    "shipping_postal_code": postal_code,
                    "shipping_country": "US",
                },
            )
            self.customers.append(customer)
        return f"{len(self.customers)} business customers"

    def leads_and_conversions(self) -> str:
        rng = self.rng
        statuses = [LeadStatus.NEW] * 14 + [LeadStatus.QUALIFIED] * 10 + [LeadStatus.DISQUALIFIED] * 6
        rng.shuffle(statuses)
        prospects = [f"{rng.choice(['Summit', 'Harbor', 'Pioneer', 'Evergreen', 'Keystone'])} {kind}" for kind in (
            "Logistics", "Dental", "Architects", "Bakery", "Motors", "Print", "Clinics", "Hotels", "Schools", "Farms",
        )]  # fmt: skip
        converted = 0
        for index, status in enumerate(statuses):
            owner = self.owners[index % len(self.owners)]
            first = rng.choice(FEMALE_FIRST_NAMES + MALE_FIRST_NAMES)
            last = rng.choice(LAST_NAMES)
            company = prospects[index % len(prospects)]
            with _acting_as(owner):
                lead = record_save(
                    actor=owner,
                    instance=Lead(),
                    data={
                        "name": f"{rng.choice(DEAL_KINDS)} for {company}",
                        "first_name": first,
                        "last_name": last,
                        "email": f"{first}.{last}@{company.split()[0].lower()}.example.org".lower().replace("'", ""),
                        "phone": self.phone(),
                        "company_name": company,
                        "job_title": rng.choice(JOB_TITLES),
                        "status": status,
                        "source": rng.choice(LEAD_SOURCES),
                        "description": "Asked for a call back next week." if rng.random() < 0.3 else "",
                    },
                )
                # A few qualified leads have already been turned into deals on existing accounts.
                if status == LeadStatus.QUALIFIED and converted < 4:
                    opportunity = lead_convert(actor=owner, lead=lead, account=self.accounts[30 + converted])
                    opportunity = opportunity_save(
                        actor=owner,
                        opportunity=opportunity,
                        data={
                            "budget_amount": self.money(5_000, 60_000),
                            "expected_close_date": self.today + dt.timedelta(days=rng.randint(20, 120)),
                        },
                    )
                    self.opportunities.append(opportunity)
                    converted += 1
            self.leads.append(lead)
        return f"{len(self.leads)} leads ({converted} converted to opportunities)"

    def _plan_deals(self) -> list[_PlannedDeal]:
        rng = self.rng
        plans = []
        won_with_customer = 0
        for status, count in OPPORTUNITY_MIX.items():
            for index in range(count):
                owner = self.owners[(index + len(plans)) % len(self.owners)]
                customer = None
                if status == OpportunityStatus.WON and won_with_customer < 11:
                    customer = self.customers[won_with_customer * 2 % len(self.customers)]
                    won_with_customer += 1
                    account = customer.account
                else:
                    account = rng.choice(self.accounts)
                currency = "EUR" if rng.random() < 0.2 else self.organization.base_currency
                budget = self.money(5_000, 250_000)
                contacts = self.account_contacts[account.pk]
                data = {
                    "name": f"{account.name}: {rng.choice(DEAL_KINDS)}",
                    "account": account,
                    "customer": customer,
                    "contact": contacts[0] if contacts else None,
                    "owner": owner,
                    "budget_amount": budget,
                    "budget_currency": currency,
                    "description": rng.choice(["", "", "Referred by an existing customer.", "Public tender."]),
                }
                created_days_ago = rng.randint(20, 120)
                if status in CLOSED_STATUSES:
                    closed_days_ago = rng.randint(0, min(created_days_ago - 5, 75))
                    stages = PIPELINE[: rng.randint(1, len(PIPELINE))]
                    path = [*stages, status]
                    final_day = closed_days_ago
                    data["expected_close_date"] = self.today - dt.timedelta(days=closed_days_ago + rng.randint(-5, 10))
                else:
                    path = PIPELINE[: PIPELINE.index(status) + 1]
                    final_day = rng.randint(0, max(created_days_ago // 3, 1))
                    if rng.random() < 0.12:
                        data["expected_close_date"] = None  # indeterminate in the forecast
                    else:
                        data["expected_close_date"] = self.today + dt.timedelta(days=rng.randint(-60, 180))
                # Spread the status changes evenly between creation and the last change.
                days = [
                    created_days_ago - (created_days_ago - final_day) * i // max(len(path) - 1, 1)
                    for i in range(len(path))
                ]
                # Sorted, because two changes on the same day get random hours.
                moments = sorted(self.past_moment(day) for day in days)
                steps = list(zip(moments, path, strict=True))
                final = {}
                if status == OpportunityStatus.WON:
                    final["close_revenue"] = (budget * Decimal(rng.uniform(0.8, 1.1))).quantize(Decimal("1"))
                    final["close_revenue_currency"] = currency
                elif status == OpportunityStatus.LOST:
                    final["close_reason"] = rng.choice([CloseReason.OUTSOLD, CloseReason.CANCELLED])
                if status not in CLOSED_STATUSES and rng.random() < 0.15:
                    data["probability"] = Decimal(rng.choice([15, 25, 35, 50, 70]))  # the rep's own estimate
                plans.append(_PlannedDeal(owner=owner, account=account, data=data, steps=steps, final=final))
        return plans

    def opportunities_over_time(self) -> str:
        plans = self._plan_deals()
        # Replay every status change of every deal in date order, so lifetime values grow as they did.
        moves = sorted(
            (
                (when, position, number)
                for number, plan in enumerate(plans)
                for position, (when, _) in enumerate(plan.steps)
            ),
        )
        history = Opportunity.history.model
        for when, position, number in moves:
            plan = plans[number]
            status = plan.steps[position][1]
            is_last = position == len(plan.steps) - 1
            data = {"status": status}
            if position == 0:
                data = {**plan.data, **data}
            if is_last:
                data.update(plan.final)
            with _acting_as(plan.owner):
                plan.opportunity = opportunity_save(actor=plan.owner, data=data, opportunity=plan.opportunity)
            pk = plan.opportunity.pk
            latest = history.objects.filter(id=pk).order_by("-history_id").values_list("history_id", flat=True)[:1]
            changes = {"history_date": when}
            if status in CLOSED_STATUSES:
                changes["closed_at"] = when
                Opportunity.objects.filter(pk=pk).update(closed_at=when)
            history.objects.filter(history_id__in=list(latest)).update(**changes)
            if position == 0:
                Opportunity.objects.filter(pk=pk).update(created_at=when)
            if status == OpportunityStatus.WON:
                AccountValueChange.objects.filter(account_id=plan.account.pk, changed_at__gt=self.now).update(
                    changed_at=when
                )
        self.opportunities.extend(plan.opportunity for plan in plans)
        return f"{len(self.opportunities)} opportunities ({len(moves)} status changes replayed)"

    def _related_pool(self) -> list:
        return [*self.accounts, *self.contacts[:60], *self.opportunities, *self.leads[:10], *self.customers]

    def _names_for(self, related) -> dict:
        account = getattr(related, "account", None) if not isinstance(related, Account) else related
        if account is None:
            account = self.rng.choice(self.accounts)
        contacts = self.account_contacts.get(account.pk) or self.contacts
        return {"account": account.name, "contact": self.rng.choice(contacts).full_name}

    def tasks(self) -> str:
        rng = self.rng
        end_of_today = self.local(self.today + dt.timedelta(days=1), 0)
        pool = self._related_pool()
        kinds = ["overdue"] * 15 + ["today"] * 10 + ["upcoming"] * 20 + ["completed"] * 15
        for index, kind in enumerate(kinds):
            owner = [self.rep1, self.rep2, self.admin][index % 3]
            related = rng.choice(pool)
            status = TaskStatus.NOT_STARTED
            completed_at = None
            if kind == "overdue":
                due = self.local(self.today - dt.timedelta(days=rng.randint(1, 10)), rng.randint(9, 17))
                status = rng.choice([TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.WAITING])
            elif kind == "today":
                # Later today whatever the hour, so it shows under "due today" and not as overdue.
                due = self.now + (end_of_today - self.now) * (index - 14) / 12
            elif kind == "upcoming":
                due = self.local(self.today + dt.timedelta(days=rng.randint(1, 21)), rng.randint(9, 17))
                status = rng.choice([TaskStatus.NOT_STARTED, TaskStatus.NOT_STARTED, TaskStatus.DEFERRED])
            else:
                due = self.local(self.today - dt.timedelta(days=rng.randint(0, 14)), rng.randint(9, 17))
                status = TaskStatus.COMPLETED
                completed_at = min(due, self.now)
            task_save(
                actor=owner,
                data={
                    "subject": rng.choice(TASK_SUBJECTS).format(**self._names_for(related)),
                    "description": "See the notes on the account." if rng.random() < 0.3 else "",
                    "start_at": due - dt.timedelta(days=rng.randint(1, 5)) if rng.random() < 0.4 else None,
                    "due_at": due,
                    "status": status,
                    "priority": rng.choice(
                        [TaskPriority.LOW, TaskPriority.NORMAL, TaskPriority.NORMAL, TaskPriority.HIGH]
                    ),
                    "reminder_at": due - dt.timedelta(minutes=30) if rng.random() < 0.3 else None,
                    "completed_at": completed_at,
                    "owner": owner,
                    "related": related,
                },
            )
        return f"{len(kinds)} tasks (15 overdue, 10 due today, 20 upcoming, 15 completed)"

    def events(self) -> str:
        rng = self.rng
        week_start = self.today - dt.timedelta(days=self.today.weekday())
        count = 0
        event_save(
            actor=self.admin,
            data={
                "title": "Weekly pipeline review",
                "description": "Every rep walks through their deals in negotiation.",
                "location": "Meeting room 1",
                "start": self.local(week_start - dt.timedelta(weeks=8), 9, 30),
                "end": self.local(week_start - dt.timedelta(weeks=8), 10, 15),
                "recurrence_rule": "FREQ=WEEKLY;BYDAY=MO",
                "owner": self.admin,
            },
        )
        count += 1
        event_save(
            actor=self.rep2,
            data={
                "title": "Industry trade fair",
                "location": "Convention Center, Chicago",
                "start": self.today + dt.timedelta(days=1),
                "end": self.today + dt.timedelta(days=2),
                "all_day": True,
                "owner": self.rep2,
            },
        )
        event_save(
            actor=self.rep1,
            data={
                "title": "Customer visit day",
                "location": "Boston",
                "start": self.today,
                "end": self.today,
                "all_day": True,
                "owner": self.rep1,
            },
        )
        count += 2
        pool = [*self.accounts, *self.opportunities]
        for index in range(37):
            owner = [self.rep1, self.rep2, self.rep1, self.rep2, self.admin][index % 5]
            if index < 14:
                day = week_start + dt.timedelta(days=rng.randint(0, 4))  # the current week is never empty
            else:
                day = self.today + dt.timedelta(days=rng.randint(-21, 28))
                if day.weekday() >= 5:
                    day -= dt.timedelta(days=2)
            start = self.local(day, rng.randint(8, 16), rng.choice([0, 30]))
            related = rng.choice(pool)
            account = related if isinstance(related, Account) else related.account
            contacts = self.account_contacts.get(account.pk) or []
            attendees = rng.sample(contacts, min(len(contacts), rng.randint(1, 3)))
            names = {"account": account.name, "contact": attendees[0].full_name if attendees else account.name}
            event_save(
                actor=owner,
                data={
                    "title": rng.choice(MEETING_TITLES).format(**names),
                    "location": rng.choice(["Video call", "Our office", f"{account.name} head office"]),
                    "start": start,
                    "end": start + dt.timedelta(minutes=rng.choice([30, 60, 60, 90])),
                    "owner": owner,
                    "attendees": attendees,
                    "related": related,
                },
            )
            count += 1
        return f"{count} calendar events (one weekly series, two all-day)"

    def notes(self) -> str:
        rng = self.rng
        pool = [*self.accounts[:20], *rng.sample(self.opportunities, 12), *rng.sample(self.contacts, 8)]
        for related in pool:
            owner = related.owner
            note_save(actor=owner, data={"text": rng.choice(NOTE_TEXTS), "related": related, "owner": owner})
        return f"{len(pool)} notes"
