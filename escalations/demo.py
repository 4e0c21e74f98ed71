"""A believable Escalation Desk world for trying the product: people, partner teams, accounts, taxonomy,
remediations and a few hundred escalations with their timelines.

Rows are written directly rather than through the services so that seeding queues no mail; every case still
walks `ALLOWED_TRANSITIONS` edge by edge and leaves the same events the transition service would.
"""

import hashlib
import random
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from escalations.lifecycle import ALLOWED_TRANSITIONS, OPEN_STATUSES, Status, is_allowed
from escalations.models import Account, Category, Escalation, EscalationEvent, EscalationWatcher, Handoff
from escalations.services import reference_allocate
from escalations.sla import engine
from escalations.sla.backfill import _mark_past_thresholds as mark_past_thresholds
from escalations.sla.backfill import sla_backfill
from remediations.models import Remediation, RootCause
from users.models import PartnerMembership, PartnerTeam, User, UserRole

DEMO_PASSWORD = "demo-password"
DEFAULT_ESCALATION_COUNT = 300
DEFAULT_SEED = 7
HISTORY_DAYS = 90


@dataclass(frozen=True)
class DemoPerson:
    email: str
    display_name: str
    role: str
    requesting_org: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.ADMIN


RILEY = DemoPerson("requester@example.com", "Riley Requester", UserRole.REQUESTER, "Customer Success")
QUINN = DemoPerson("requester2@example.com", "Quinn Requester", UserRole.REQUESTER, "Sales")
SASHA = DemoPerson("specialist@example.com", "Sasha Specialist", UserRole.SPECIALIST)
JORDAN = DemoPerson("specialist2@example.com", "Jordan Specialist", UserRole.SPECIALIST)
MORGAN = DemoPerson("manager@example.com", "Morgan Manager", UserRole.MANAGER)
PARKER = DemoPerson("partner@example.com", "Parker Partner", UserRole.PARTNER)
AVERY = DemoPerson("admin@example.com", "Avery Admin", UserRole.ADMIN)

# The README documents these logins; keep them stable.
DEMO_LOGINS = (RILEY, QUINN, SASHA, JORDAN, MORGAN, PARKER, AVERY)

MORE_REQUESTERS = (
    DemoPerson("taylor.brooks@example.com", "Taylor Brooks", UserRole.REQUESTER, "Account Management"),
    DemoPerson("elena.petrova@example.com", "Elena Petrova", UserRole.REQUESTER, "Support"),
    DemoPerson("marcus.okafor@example.com", "Marcus Okafor", UserRole.REQUESTER, "Solutions Engineering"),
    DemoPerson("priya.raman@example.com", "Priya Raman", UserRole.REQUESTER, "Customer Success"),
    DemoPerson("diego.alvarez@example.com", "Diego Alvarez", UserRole.REQUESTER, "Sales"),
    DemoPerson("aisha.bello@example.com", "Aisha Bello", UserRole.REQUESTER, "Partnerships"),
)
# How often each requester files, relative to the others: the demo requesters get the most cases.
REQUESTER_WEIGHTS = {RILEY.email: 4, QUINN.email: 3}


def _partner(email: str, name: str) -> DemoPerson:
    return DemoPerson(email, name, UserRole.PARTNER)


@dataclass(frozen=True)
class DemoTeam:
    name: str
    slug: str
    description: str
    lead: DemoPerson
    members: tuple[DemoPerson, ...]
    handoff_response_target_minutes: int
    handoff_asks: tuple[str, ...]
    handoff_answers: tuple[str, ...]


TEAMS = (
    DemoTeam(
        "Billing Platform",
        "billing-platform",
        "Invoicing, proration, credits, tax and the subscription ledger.",
        _partner("hannah.schultz@example.com", "Hannah Schultz"),
        (PARKER,),
        480,
        (
            "Please check the invoice history for {account} and tell us where the extra charge comes from.",
            "Can you reissue the latest invoice for {account} and confirm the credit is applied?",
            "Could you confirm which plan and entitlements the ledger has for {account}?",
        ),
        (
            "Found it: the renewal job ran twice after a retry. Duplicate line voided and a corrected invoice sent.",
            "The credit was created but never attached to an invoice. Attached now; it shows on the next bill.",
            "The plan in the ledger did not match the signed order form. Corrected and re-rated the open invoice.",
        ),
    ),
    DemoTeam(
        "Identity & Access",
        "identity-access",
        "Sign-in, SSO, MFA, SCIM provisioning and roles.",
        _partner("omar.haddad@example.com", "Omar Haddad"),
        (_partner("lena.fischer@example.com", "Lena Fischer"),),
        480,
        (
            "Could you look at the SSO logs for {account} around the time the failures started?",
            "Please check why the SCIM sync for {account} deactivated users who are still active in their IdP.",
        ),
        (
            "Their IdP sends a new certificate we had not cached; cache cleared and sign-in works again.",
            "A regression in yesterday's release mishandled group renames. Hotfix deployed; users restored.",
            "The customer's IdP config has the wrong audience URL. Sent the right value to pass on.",
        ),
    ),
    DemoTeam(
        "Data Pipeline",
        "data-pipeline",
        "Exports, reporting, the public API gateway and webhooks.",
        _partner("wei.chen@example.com", "Wei Chen"),
        (_partner("arjun.mehta@example.com", "Arjun Mehta"), _partner("fatima.zahra@example.com", "Fatima Zahra")),
        960,
        (
            "Please check the job runs and gateway logs for {account} and tell us what failed.",
            "Can you raise the API rate limit for {account} temporarily while we investigate?",
            "Could you re-run the failed exports for {account} for the last three days?",
        ),
        (
            "The nightly export hit a timeout on a large partition. Re-ran it with a bigger window; files are there.",
            "Limit raised to 2x for 14 days. The spikes come from their retry loop; shared a backoff example.",
            "Webhook ordering is not guaranteed by design; suggested they use the sequence field instead.",
        ),
    ),
    DemoTeam(
        "Mobile Apps",
        "mobile-apps",
        "The iOS and Android apps and their release train.",
        _partner("sofia.rossi@example.com", "Sofia Rossi"),
        (_partner("noah.kim@example.com", "Noah Kim"),),
        480,
        (
            "Can you confirm whether this is the known crash in the latest release and when the fix ships?",
            "Please check the push notification delivery logs for {account_s} devices.",
        ),
        (
            "Known crash on older iOS versions. Fix is in 4.18.1, submitted to the App Store today.",
            "Their devices were registered with the old push certificate. Re-registration fixes it; instructions sent.",
        ),
    ),
    DemoTeam(
        "Payments Risk",
        "payments-risk",
        "Payment processing, payouts, fraud review and disputes.",
        _partner("grace.adeyemi@example.com", "Grace Adeyemi"),
        (_partner("lucas.moreau@example.com", "Lucas Moreau"),),
        240,
        (
            "Please review the held payout for {account} and tell us what you need to release it.",
            "Could you check the decline codes for {account_s} failed card payments since this morning?",
        ),
        (
            "The payout tripped a velocity rule after a large refund batch. Reviewed and released.",
            "Our EU processor had a partial outage; traffic has been rerouted and declines are back to normal.",
            "Two refunds were double-submitted by a retry. Reversed the duplicates; nothing else is affected.",
        ),
    ),
)


@dataclass(frozen=True)
class CaseTemplate:
    title: str
    description: str
    customer_need: str
    has_regulatory_exposure: bool = False


@dataclass(frozen=True)
class DemoCategory:
    name: str
    slug: str
    description: str
    partner_team: str
    likely_drivers: tuple[str, ...]
    cases: tuple[CaseTemplate, ...]


CATEGORIES = (
    DemoCategory(
        "Billing & invoicing",
        "billing-invoicing",
        "Invoices, proration, credits and tax on the customer's bill.",
        "billing-platform",
        ("regression", "edge-case", "data-migration", "plan-mismatch", "change-not-communicated", "manual-error"),
        (
            CaseTemplate(
                "Invoice charges the annual renewal twice",
                "{account_s} finance team received an invoice that charges the annual renewal twice. {contact} says "
                "their AP system rejected it and they will not pay until a corrected invoice arrives.",
                "A corrected invoice and confirmation the duplicate line will not be collected.",
            ),
            CaseTemplate(
                "Proration wrong after a mid-cycle seat upgrade",
                "{account} added seats mid-cycle and the prorated amount is roughly three times what the pricing page "
                "suggests. Their procurement lead wants a line-by-line explanation.",
                "An explanation of the proration and a credit for the difference.",
            ),
            CaseTemplate(
                "Tax exemption certificate ignored on the latest invoice",
                "{account} is tax-exempt and uploaded its certificate months ago, but the latest invoice includes "
                "sales tax again. {contact} needs it fixed before their fiscal year closes.",
                "Invoice reissued without tax and the exemption applied going forward.",
                has_regulatory_exposure=True,
            ),
            CaseTemplate(
                "Service credit promised in the QBR never applied",
                "During the quarterly business review we promised {account} a service credit for last month's "
                "outage. It has not appeared on any invoice and {contact} has taken it to their CFO.",
                "The credit applied and confirmed in writing.",
            ),
            CaseTemplate(
                "Invoices still sent to a former employee",
                "{account} changed its billing contact weeks ago but invoices still go to someone who has left. Two "
                "invoices are now overdue and dunning emails have started.",
                "Billing contact updated, dunning paused and the invoices resent.",
            ),
        ),
    ),
    DemoCategory(
        "Payments",
        "payments",
        "Card and bank payments, payouts, refunds, disputes and fraud holds.",
        "payments-risk",
        ("processor-outage", "race-condition", "misconfigured-settings", "edge-case", "manual-error"),
        (
            CaseTemplate(
                "Card payments declined for EU cardholders",
                "Since this morning most card payments from EU cardholders at {account} are declined with a generic "
                "error. They estimate {affected} failed checkouts so far.",
                "Payments working again and a list of the failed transactions.",
            ),
            CaseTemplate(
                "Weekly payout held in review for over a week",
                "{account_s} weekly payout has been held in risk review for nine days. They have payroll to run and "
                "{contact} calls their account manager daily.",
                "The payout released, or a clear list of what the review needs.",
            ),
            CaseTemplate(
                "Refunds stuck in pending",
                "Refunds issued by {account} since Monday stay pending and their customers are complaining publicly. "
                "About {affected} refunds are affected.",
                "Refunds processed and a status update they can point their customers to.",
            ),
            CaseTemplate(
                "Chargeback evidence upload times out",
                "{account} cannot upload evidence for open chargebacks; the upload spins and times out. Several "
                "disputes expire this week.",
                "Evidence submitted before the dispute deadlines.",
                has_regulatory_exposure=True,
            ),
            CaseTemplate(
                "Customers charged twice after a checkout retry",
                "Customers of {account} who retried a slow checkout were charged twice. {contact} found {affected} "
                "duplicate charges in their reconciliation.",
                "Duplicates refunded and retries made safe.",
            ),
        ),
    ),
    DemoCategory(
        "Sign-in & SSO",
        "sign-in-sso",
        "Login, single sign-on, MFA and sessions.",
        "identity-access",
        ("idp-setup", "idp-outage", "regression", "unclear-docs"),
        (
            CaseTemplate(
                "SSO login loops back to the sign-in page",
                "After last night's release, users at {account} signing in with their IdP land back on the sign-in "
                "page. Around {affected} employees cannot work.",
                "Users able to sign in, and a workaround for today.",
            ),
            CaseTemplate(
                "SAML certificate rotation broke every sign-in",
                "{account} rotated their IdP signing certificate as scheduled and every SSO login now fails with "
                "'invalid signature'.",
                "Sign-in restored without turning SSO off.",
            ),
            CaseTemplate(
                "Admins locked out after enforcing SSO",
                "{account} turned on 'require SSO' and now their two admins cannot reach the admin console to undo "
                "it. {contact} is on the phone with Support.",
                "Admin access restored.",
            ),
            CaseTemplate(
                "MFA codes rejected for users in one office",
                "Users in {account_s} Singapore office get 'code expired' for every MFA code. {affected} people are "
                "affected; other offices are fine.",
                "MFA working for the whole company.",
            ),
        ),
    ),
    DemoCategory(
        "User provisioning",
        "user-provisioning",
        "SCIM, roles, seats and user lifecycle.",
        "identity-access",
        ("idp-setup", "plan-mismatch", "edge-case", "unclear-docs"),
        (
            CaseTemplate(
                "SCIM sync deactivates active users",
                "Every night the SCIM sync deactivates {affected} of {account_s} users who are still active in their "
                "directory. They re-enable them by hand each morning.",
                "The sync fixed so nobody is deactivated wrongly.",
            ),
            CaseTemplate(
                "Seat count shows more users than purchased",
                "{account_s} admin console shows {affected} more seats in use than they bought and blocks new invites. "
                "{contact} says deactivated users are being counted.",
                "Correct seat count and invites unblocked.",
            ),
            CaseTemplate(
                "New hires not provisioned from the directory",
                "New employees at {account} have not been provisioned for two weeks. Their onboarding cohort starts "
                "Monday.",
                "New hires able to sign in before Monday.",
            ),
        ),
    ),
    DemoCategory(
        "Data exports & reporting",
        "data-exports",
        "Scheduled exports, reports and audit logs.",
        "data-pipeline",
        ("failed-job", "capacity-limits", "regression", "feature-gap"),
        (
            CaseTemplate(
                "Nightly export to S3 missing since Friday",
                "{account_s} nightly export has not arrived in their bucket since Friday. Their finance dashboards are "
                "stale and the month-end close starts tomorrow.",
                "The missing exports delivered and the schedule working again.",
            ),
            CaseTemplate(
                "Revenue report totals differ from invoice totals",
                "{contact} at {account} found that the revenue report is off from their invoices by a few percent. "
                "Their auditors have asked for an explanation.",
                "Numbers that reconcile, or a written explanation of the difference.",
                has_regulatory_exposure=True,
            ),
            CaseTemplate(
                "CSV export truncated at 10,000 rows",
                "Exports from {account_s} workspace stop at 10,000 rows without any warning; they need all "
                "{affected}k rows for a board report.",
                "A complete export.",
            ),
            CaseTemplate(
                "Audit log export needed for a regulator request",
                "{account} received a regulator request and must produce 12 months of audit logs within ten days. "
                "The in-app export only goes back 90 days.",
                "12 months of audit logs in a format the regulator accepts.",
                has_regulatory_exposure=True,
            ),
        ),
    ),
    DemoCategory(
        "Integrations & API",
        "integrations-api",
        "The public API, webhooks and native integrations.",
        "data-pipeline",
        ("capacity-limits", "change-not-communicated", "unclear-docs", "feature-gap", "regression"),
        (
            CaseTemplate(
                "API returns 429s well under the documented limit",
                "{account_s} integration gets rate limited at about a third of the documented limit. Orders from "
                "their storefront are queueing up.",
                "The integration running at the documented limit.",
            ),
            CaseTemplate(
                "Webhooks delivered out of order",
                "{account} receives 'order.updated' webhooks before 'order.created', which breaks their fulfilment "
                "system. {affected} orders needed manual fixes this week.",
                "A reliable way to process events in order.",
            ),
            CaseTemplate(
                "CRM integration stopped syncing contacts",
                "Since Tuesday no contacts have synced from {account_s} CRM. Their sales team works from stale data.",
                "Sync working and the backlog caught up.",
            ),
            CaseTemplate(
                "Breaking change in the v2 orders endpoint",
                "A field {account} relies on disappeared from the v2 orders endpoint without notice; their nightly "
                "reconciliation fails.",
                "The field back, or time to migrate.",
            ),
        ),
    ),
    DemoCategory(
        "Mobile apps",
        "mobile-apps",
        "The iOS and Android apps.",
        "mobile-apps",
        ("app-store-delay", "regression", "edge-case"),
        (
            CaseTemplate(
                "iOS app crashes on launch after the update",
                "Since the latest update the iOS app crashes on launch for {account_s} field staff; about {affected} "
                "devices are affected.",
                "A working app for the field team, or a workaround.",
            ),
            CaseTemplate(
                "Push notifications not arriving on Android",
                "{account_s} Android users stopped receiving push notifications for new assignments; dispatch is "
                "calling people instead.",
                "Notifications arriving again.",
            ),
            CaseTemplate(
                "Offline mode loses field reports",
                "Reports written offline in the app disappear after syncing for {account_s} inspectors. {contact} "
                "says {affected} reports were lost this week.",
                "Lost reports recovered if possible and the sync fixed.",
            ),
        ),
    ),
    DemoCategory(
        "Performance & availability",
        "performance",
        "Slowness, errors and outages.",
        "data-pipeline",
        ("capacity-limits", "race-condition", "incident-response-delay", "failed-job"),
        (
            CaseTemplate(
                "Dashboard takes over a minute to load",
                "{account_s} main dashboard takes more than a minute to load during their business hours; "
                "{contact} says their team has started exporting to spreadsheets instead.",
                "The dashboard loading in a few seconds.",
            ),
            CaseTemplate(
                "Intermittent 502 errors during business hours",
                "{account} sees bursts of 502 errors between 9 and 11am their time, every day this week.",
                "The errors gone, and an explanation for their leadership.",
            ),
            CaseTemplate(
                "Outage not shown on the status page",
                "{account} was down for 40 minutes yesterday while the status page showed all green. {contact} wants "
                "an incident report.",
                "An incident report and a credit if the SLA applies.",
            ),
        ),
    ),
)

# Two-level taxonomy: (area slug, area name, description, ((driver slug, driver name), ...)).
ROOT_CAUSES = (
    (
        "product-defect",
        "Product defect",
        "Our software did the wrong thing.",
        (
            ("regression", "Regression in a release"),
            ("edge-case", "Edge case not handled"),
            ("data-migration", "Data migration error"),
            ("race-condition", "Race condition under load"),
        ),
    ),
    (
        "configuration",
        "Configuration & setup",
        "The product works, but the account is set up in a way that breaks it.",
        (
            ("misconfigured-settings", "Misconfigured account settings"),
            ("idp-setup", "Identity provider set up incorrectly"),
            ("plan-mismatch", "Plan or entitlement mismatch"),
        ),
    ),
    (
        "expectations",
        "Documentation & expectations",
        "The customer expected something we never promised, or we did not tell them.",
        (
            ("feature-gap", "Feature gap against a sales promise"),
            ("unclear-docs", "Unclear or missing documentation"),
            ("change-not-communicated", "Behaviour change not communicated"),
        ),
    ),
    (
        "third-party",
        "Third-party dependency",
        "A supplier or platform outside our control.",
        (
            ("processor-outage", "Payment processor outage"),
            ("idp-outage", "Identity provider outage"),
            ("app-store-delay", "App store review delay"),
        ),
    ),
    (
        "operations",
        "Capacity & operations",
        "How we run the service.",
        (
            ("capacity-limits", "Capacity or rate limits"),
            ("failed-job", "Failed scheduled job"),
            ("manual-error", "Manual process error"),
            ("incident-response-delay", "Slow incident response"),
        ),
    ),
)


@dataclass(frozen=True)
class DemoRemediation:
    title: str
    team: str
    owner: str
    drivers: tuple[str, ...]
    status: str
    priority: str
    description: str
    proposed_fix: str
    created_days_ago: int
    due_in_days: int | None = None
    shipped_days_ago: int | None = None
    verified_days_ago: int | None = None
    decline_reason: str = ""


REMEDIATIONS = (
    DemoRemediation(
        "Idempotent renewal job",
        "billing-platform",
        PARKER.email,
        ("edge-case", "manual-error"),
        Remediation.Status.SHIPPED,
        Remediation.Priority.HIGH,
        "Retries of the renewal job create duplicate invoice lines.",
        "Give each renewal run an idempotency key and refuse a second line for the same period.",
        created_days_ago=80,
        due_in_days=-40,
        shipped_days_ago=45,
    ),
    DemoRemediation(
        "Entitlement sync between CRM and billing",
        "billing-platform",
        "hannah.schultz@example.com",
        ("plan-mismatch",),
        Remediation.Status.IN_PROGRESS,
        Remediation.Priority.MEDIUM,
        "Plans signed in the CRM reach the billing ledger by hand and drift.",
        "Sync signed order forms to the ledger nightly and flag mismatches to Billing Ops.",
        created_days_ago=35,
        due_in_days=3,
    ),
    DemoRemediation(
        "SSO setup checklist and IdP metadata validator",
        "identity-access",
        "omar.haddad@example.com",
        ("idp-setup", "unclear-docs"),
        Remediation.Status.VERIFIED,
        Remediation.Priority.HIGH,
        "Most SSO escalations come from IdP settings that we could have checked at setup time.",
        "Validate IdP metadata when it is uploaded and publish a step-by-step setup checklist.",
        created_days_ago=85,
        due_in_days=-55,
        shipped_days_ago=60,
        verified_days_ago=20,
    ),
    DemoRemediation(
        "Retry and alert on failed nightly exports",
        "data-pipeline",
        "wei.chen@example.com",
        ("failed-job",),
        Remediation.Status.IN_PROGRESS,
        Remediation.Priority.HIGH,
        "Failed exports are noticed by customers before we notice them.",
        "Retry exports with backoff and page the on-call engineer after the third failure.",
        created_days_ago=40,
        due_in_days=14,
    ),
    DemoRemediation(
        "Per-tenant rate limit headroom for enterprise API clients",
        "data-pipeline",
        "arjun.mehta@example.com",
        ("capacity-limits",),
        Remediation.Status.ACCEPTED,
        Remediation.Priority.MEDIUM,
        "Enterprise integrations hit the shared rate limit during their peak hours.",
        "Give enterprise and strategic tenants their own limit bucket with burst headroom.",
        created_days_ago=20,
        due_in_days=30,
    ),
    DemoRemediation(
        "Changelog digest for customer-facing API changes",
        "data-pipeline",
        "fatima.zahra@example.com",
        ("change-not-communicated",),
        Remediation.Status.IN_PROGRESS,
        Remediation.Priority.MEDIUM,
        "Customers learn about API behaviour changes from their failing integrations.",
        "Send a weekly digest of API changes to integration owners and to Customer Success.",
        created_days_ago=50,
        due_in_days=-6,
    ),
    DemoRemediation(
        "Fallback routing to a second payment processor",
        "payments-risk",
        "grace.adeyemi@example.com",
        ("processor-outage",),
        Remediation.Status.PROPOSED,
        Remediation.Priority.HIGH,
        "A single processor outage declines every EU card payment.",
        "Route EU card traffic to a second processor when the first one's error rate spikes.",
        created_days_ago=6,
    ),
    DemoRemediation(
        "Staged rollout for mobile releases",
        "mobile-apps",
        "sofia.rossi@example.com",
        ("app-store-delay",),
        Remediation.Status.DECLINED,
        Remediation.Priority.LOW,
        "Hotfixes wait days in app store review while customers are affected.",
        "Release to 5% of users first so a bad build can be halted before review delays matter.",
        created_days_ago=30,
        decline_reason="Review times are outside our control and phased release is already on; "
        "the release calendar now leaves a two-day buffer instead.",
    ),
)

ACCOUNTS = (
    ("Acme Logistics", "acmelogistics.com", Account.Region.NORTH_AMERICA),
    ("Brightline Health", "brightlinehealth.com", Account.Region.NORTH_AMERICA),
    ("Cobalt Ridge Capital", "cobaltridge.com", Account.Region.NORTH_AMERICA),
    ("Driftwood Outdoor Co.", "driftwoodoutdoor.com", Account.Region.NORTH_AMERICA),
    ("Evergreen Analytics", "evergreenanalytics.io", Account.Region.NORTH_AMERICA),
    ("Fjordline Maritime AS", "fjordline-maritime.no", Account.Region.EMEA),
    ("Granite Peak Insurance", "granitepeak.com", Account.Region.NORTH_AMERICA),
    ("Harborview Hotels", "harborviewhotels.com", Account.Region.NORTH_AMERICA),
    ("Ironclad Security", "ironcladsec.com", Account.Region.NORTH_AMERICA),
    ("Juniper Learning", "juniperlearning.org", Account.Region.NORTH_AMERICA),
    ("Keystone Freight", "keystonefreight.com", Account.Region.NORTH_AMERICA),
    ("Lumen Retail Group", "lumenretail.co.uk", Account.Region.EMEA),
    ("Meridian Biotech", "meridianbio.com", Account.Region.NORTH_AMERICA),
    ("Nordlicht Energie GmbH", "nordlicht-energie.de", Account.Region.EMEA),
    ("Oakridge Property Management", "oakridgepm.com", Account.Region.NORTH_AMERICA),
    ("Pinnacle Telecom", "pinnacletel.com", Account.Region.NORTH_AMERICA),
    ("Quarry Lane Architects", "quarrylane.co.uk", Account.Region.EMEA),
    ("Redwood Credit Union", "redwoodcu.org", Account.Region.NORTH_AMERICA),
    ("Silverline Media", "silverlinemedia.com", Account.Region.NORTH_AMERICA),
    ("Tidewater Energy", "tidewaterenergy.com", Account.Region.NORTH_AMERICA),
    ("Umbra Design Studio", "umbradesign.fr", Account.Region.EMEA),
    ("Vantage Airlines", "vantageair.com", Account.Region.NORTH_AMERICA),
    ("Willow & Finch Apparel", "willowandfinch.com", Account.Region.NORTH_AMERICA),
    ("Xenon Robotics", "xenonrobotics.com", Account.Region.NORTH_AMERICA),
    ("Yellowstone Outfitters", "yellowstoneoutfitters.com", Account.Region.NORTH_AMERICA),
    ("Zephyr Mobility", "zephyrmobility.eu", Account.Region.EMEA),
    ("Sakura Mobile KK", "sakuramobile.jp", Account.Region.APAC),
    ("Bluebird Pediatrics", "bluebirdpeds.com", Account.Region.NORTH_AMERICA),
    ("Cascade Water Systems", "cascadewater.com", Account.Region.NORTH_AMERICA),
    ("Andes Minería S.A.", "andesmineria.cl", Account.Region.LATIN_AMERICA),
    ("Emberly Coffee Roasters", "emberlycoffee.com", Account.Region.NORTH_AMERICA),
    ("Foxglove Pharmacy", "foxglovepharmacy.co.uk", Account.Region.EMEA),
    ("Southern Cross Freight", "southerncrossfreight.com.au", Account.Region.APAC),
    ("Helix Genomics", "helixgenomics.com", Account.Region.NORTH_AMERICA),
    ("Indigo Travel", "indigotravel.in", Account.Region.APAC),
    ("Jade Garden Restaurants", "jadegarden.sg", Account.Region.APAC),
    ("Kestrel Aerospace", "kestrelaero.com", Account.Region.NORTH_AMERICA),
    ("Lighthouse Legal LLP", "lighthouselegal.co.uk", Account.Region.EMEA),
    ("Monarch Bank", "monarchbank.com", Account.Region.NORTH_AMERICA),
    ("Nimbus Cloud Hosting", "nimbushosting.nl", Account.Region.EMEA),
    ("Orquídea Cosméticos", "orquidea.com.br", Account.Region.LATIN_AMERICA),
    ("Polaris Navigation", "polarisnav.se", Account.Region.EMEA),
    ("Quantum Ledger", "quantumledger.io", Account.Region.NORTH_AMERICA),
    ("Riverbend Clinics", "riverbendclinics.com", Account.Region.NORTH_AMERICA),
    ("Sable Automotive", "sableauto.mx", Account.Region.LATIN_AMERICA),
    ("Terra Nova Construction", "terranova.ca", Account.Region.NORTH_AMERICA),
    ("Upland Dairy Cooperative", "uplanddairy.co.nz", Account.Region.APAC),
    ("Vireo Games", "vireogames.kr", Account.Region.APAC),
    ("Westbrook University Press", "westbrookpress.edu", Account.Region.NORTH_AMERICA),
    ("Yarrow Home Goods", "yarrowhome.com.ar", Account.Region.LATIN_AMERICA),
)
CONTACT_FIRST_NAMES = (
    "Alex", "Beatriz", "Chen", "Daniela", "Emeka", "Fatima", "Gustavo", "Hiro", "Inés", "Jamal", "Katarzyna",
    "Liam", "Mei", "Nikolai", "Olivia", "Pedro", "Rania", "Sven", "Tomás", "Yuki", "Zara", "Ben", "Clara", "David",
)  # fmt: skip
CONTACT_LAST_NAMES = (
    "Andersen", "Baptiste", "Costa", "Dubois", "Eriksen", "Fernández", "García", "Hoffmann", "Ito", "Johansson",
    "Kowalski", "Lindqvist", "Moreno", "Nakamura", "O'Brien", "Patel", "Quispe", "Rossi", "Santos", "Tanaka",
    "Usman", "Varga", "Walsh", "Yilmaz", "Zhou",
)  # fmt: skip
TIER_COUNTS = {
    Account.Tier.STRATEGIC: 8,
    Account.Tier.ENTERPRISE: 14,
    Account.Tier.BUSINESS: 16,
    Account.Tier.STARTER: 12,
}
TIER_REVENUE_BANDS = {
    Account.Tier.STRATEGIC: (Account.RevenueBand.OVER_1M,),
    Account.Tier.ENTERPRISE: (Account.RevenueBand.FROM_100K, Account.RevenueBand.OVER_1M),
    Account.Tier.BUSINESS: (Account.RevenueBand.FROM_10K, Account.RevenueBand.FROM_100K),
    Account.Tier.STARTER: (Account.RevenueBand.UNDER_10K, Account.RevenueBand.FROM_10K),
}
REVENUE_AT_RISK_RANGE = {
    Account.RevenueBand.UNDER_10K: (500, 9_000),
    Account.RevenueBand.FROM_10K: (5_000, 90_000),
    Account.RevenueBand.FROM_100K: (40_000, 800_000),
    Account.RevenueBand.OVER_1M: (250_000, 3_000_000),
}
PRIORITY_WEIGHTS_BY_TIER = {
    Account.Tier.STRATEGIC: (15, 35, 35, 15),
    Account.Tier.ENTERPRISE: (10, 30, 40, 20),
    Account.Tier.BUSINESS: (5, 20, 50, 25),
    Account.Tier.STARTER: (2, 13, 50, 35),
}
# How fast a case moves, relative to P3: critical cases are triaged and worked in minutes, not hours.
PRIORITY_PACE = {"P1": 0.2, "P2": 0.5, "P3": 1.0, "P4": 1.6}
# Hours between the previous step and this action, before the priority pace applies.
STEP_HOURS = {
    "triage": (0.1, 6),
    "reject": (0.5, 20),
    "start": (0.5, 20),
    "wait on partner": (2, 60),
    "wait on customer": (2, 48),
    "resume": (6, 96),
    "customer replied": (4, 72),
    "resolve": (4, 96),
    "close": (2, 96),
    "reopen": (12, 120),
    "mark duplicate": (0.3, 24),
}
STATUS_WEIGHTS = {
    Status.NEW: 7,
    Status.TRIAGED: 6,
    Status.IN_PROGRESS: 14,
    Status.WAITING_ON_PARTNER: 8,
    Status.WAITING_ON_USER: 6,
    Status.RESOLVED: 10,
    Status.CLOSED: 38,
    Status.REJECTED: 4,
    Status.DUPLICATE: 5,
}

REJECTION_REASONS = (
    "This is a how-to question Support can answer directly; please open a support ticket for the customer.",
    "The account is on a trial; escalations cover paying customers. Sales can help them instead.",
    "There is not enough to act on: no example or time frame. Please refile with the details.",
    "This is a feature request rather than a problem; I've passed it to the product feedback board.",
)
RESOLUTION_SUMMARIES = (
    "Found the cause ({driver}), fixed it for {account} and confirmed with {contact} that everything works again.",
    "Worked around the problem for {account} the same day; the partner team shipped a permanent fix. Cause: {driver}.",
    "Corrected the account data, applied a goodwill credit and walked {contact} through what happened ({driver}).",
    "Explained the behaviour to {contact}, fixed the account's configuration and logged the driver ({driver}) "
    "for the remediation review.",
)
FIRST_RESPONSES = (
    "Hi {requester_first}, I own this now. I'm reproducing it and will update you within the day.",
    "Thanks {requester_first}, picked up. I've emailed {contact} to introduce myself and confirm the impact.",
    "On it. I've called {contact} and we agreed on an update every morning until it's fixed.",
)
WORKER_COMMENTS = (
    "Spoke with {contact} by phone; they confirmed about {affected} are affected.",
    "Quick update: we have a likely cause and are testing a fix.",
    "Sent {contact} a summary of where we are and the next step.",
    "The fix is deployed to a test account; waiting for confirmation before rolling it to {account}.",
)
REQUESTER_COMMENTS = (
    "{contact} asked for an update this morning. Anything I can share?",
    "Adding context: {account} renews next quarter and this is now on the renewal call agenda.",
    "The customer confirmed it is still happening as of today.",
    "{contact} just called me again; they are losing patience.",
)
REQUESTER_THANKS = (
    "Thanks! {contact} confirmed it works again.",
    "Thank you, I've passed the summary on to {contact}.",
)
WAITING_ON_CUSTOMER_COMMENTS = (
    "We've asked {contact} for example ids and screenshots; the case waits on them until they reply.",
    "We need {contact} to confirm a setting on their side before we can go on.",
)
INTERNAL_NOTES = (
    "Same pattern as two other cases this week; checking whether they share a root cause.",
    "Renewal risk: {account} is negotiating its contract. Keep the account manager in the loop.",
    "Logs show the errors started right after Tuesday's deploy.",
    "Asked in the incident channel; no open incident matches.",
    "Flagged in the weekly risk review. Please keep updates daily.",
)
ACKNOWLEDGEMENTS = ("Acknowledged. We're looking into it and will answer by tomorrow.",)


@dataclass
class DemoSeedResult:
    created: dict[str, int]
    escalations_by_status: dict[Status, int] = field(default_factory=dict)

    @property
    def created_anything(self) -> bool:
        return any(self.created.values())


COUNTED_MODELS = (
    User,
    PartnerTeam,
    PartnerMembership,
    Account,
    Category,
    RootCause,
    Remediation,
    Escalation,
    EscalationEvent,
    EscalationWatcher,
    Handoff,
)


def _row_counts() -> dict[str, int]:
    return {model._meta.verbose_name_plural: model.objects.count() for model in COUNTED_MODELS}


@dataclass
class _World:
    now: datetime
    people: dict[str, User] = field(default_factory=dict)
    teams: dict[str, PartnerTeam] = field(default_factory=dict)
    team_members: dict[str, list[User]] = field(default_factory=dict)
    accounts: list[Account] = field(default_factory=list)
    categories: list[tuple[DemoCategory, Category]] = field(default_factory=list)
    drivers: dict[str, RootCause] = field(default_factory=dict)
    remediations: list[Remediation] = field(default_factory=list)
    driver_fixed_at: dict[int, datetime] = field(default_factory=dict)


@transaction.atomic
def demo_seed(
    *,
    escalation_count: int = DEFAULT_ESCALATION_COUNT,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] = lambda message: None,
) -> DemoSeedResult:
    """Build the demo world in one transaction; running it again creates nothing.

    People, teams, accounts, categories, root causes and remediations are found by their natural keys and
    created only when missing. Escalations are generated only while the demo accounts have none, so a
    second run leaves the data (and the reference sequence) untouched. The same `seed` builds the same cases.
    """
    counts_before = _row_counts()
    now = timezone.now()
    progress("People and partner teams…")
    world = _World(now=now)
    world.people = _people_ensure()
    world.teams, world.team_members = _partner_teams_ensure(world.people)
    progress("Accounts, categories, root causes and remediations…")
    world.accounts = _accounts_ensure()
    world.categories = _categories_ensure()
    world.drivers = _root_causes_ensure()
    world.remediations = _remediations_ensure(world, now=now)

    result = DemoSeedResult(created={})
    if Escalation.objects.filter(account__in=world.accounts).exists():
        progress("The demo accounts already have escalations; filing no more.")
    else:
        progress(f"Filing {escalation_count} escalations over the last {HISTORY_DAYS} days (seed {seed})…")
        result.escalations_by_status = _escalations_generate(world, count=escalation_count, seed=seed)
        progress("Starting SLA clocks from each case's history…")
        sla_backfill(escalations=Escalation.objects.filter(account__in=world.accounts), now=now)
        _handoff_clocks_backfill(handoffs=Handoff.objects.filter(escalation__account__in=world.accounts), now=now)
    counts_after = _row_counts()
    result.created = {name: counts_after[name] - counts_before[name] for name in counts_after}
    return result


def _handoff_clocks_backfill(*, handoffs, now: datetime) -> None:
    """Give the demo handoffs the response clocks the engine starts and stops (reports need their outcomes)."""
    touched = {}
    for handoff in handoffs.filter(sla_clocks__isnull=True).select_related("escalation__account", "partner_team"):
        if engine.on_handoff_requested(handoff, handoff.created_at) is None:
            continue
        if handoff.responded_at and handoff.responded_at <= now:
            engine.on_handoff_responded(handoff, handoff.responded_at)
        touched[handoff.escalation_id] = handoff.escalation
    for case in touched.values():
        mark_past_thresholds(case, now)
        engine.refresh(case, now)


def _all_people() -> list[DemoPerson]:
    people = {person.email: person for person in DEMO_LOGINS + MORE_REQUESTERS}
    for team in TEAMS:
        for person in (team.lead, *team.members):
            people.setdefault(person.email, person)
    return list(people.values())


def _people_ensure() -> dict[str, User]:
    people = _all_people()
    emails = [person.email for person in people]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    missing = [person for person in people if person.email not in existing]
    if missing:
        # One hash for everyone: they share the password, and hashing is the slow part of creating users.
        password_hash = make_password(DEMO_PASSWORD)
        User.objects.bulk_create(
            User(
                email=person.email,
                display_name=person.display_name,
                role=person.role,
                password=password_hash,
                is_staff=person.is_admin,
                is_superuser=person.is_admin,
            )
            for person in missing
        )
    return {user.email: user for user in User.objects.filter(email__in=emails)}


def _partner_teams_ensure(people: dict[str, User]) -> tuple[dict[str, PartnerTeam], dict[str, list[User]]]:
    teams, members = {}, {}
    for spec in TEAMS:
        team, _ = PartnerTeam.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "description": spec.description,
                "contact_email": f"{spec.slug}@example.com",
                "lead": people[spec.lead.email],
                "handoff_response_target_minutes": spec.handoff_response_target_minutes,
            },
        )
        team_people = [people[person.email] for person in (spec.lead, *spec.members)]
        for user in team_people:
            PartnerMembership.objects.get_or_create(team=team, user=user)
        teams[spec.slug], members[spec.slug] = team, team_people
    return teams, members


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace("'", "")


def _external_id(company_name: str) -> str:
    """A stable `acct_` id derived from the name, so reruns find the same accounts."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    number = int.from_bytes(hashlib.sha256(company_name.encode()).digest()[:8], "big")
    characters = []
    for _ in range(8):
        number, remainder = divmod(number, len(alphabet))
        characters.append(alphabet[remainder])
    return "acct_" + "".join(characters)


def _phone(region: str, rng: random.Random) -> str:
    # Numbers from ranges reserved for fiction where the country has one.
    if region == Account.Region.EMEA:
        return f"+44 20 7946 0{rng.randint(0, 999):03d}"
    if region == Account.Region.APAC:
        return f"+61 2 5550 {rng.randint(0, 9999):04d}"
    if region == Account.Region.LATIN_AMERICA:
        return f"+55 11 5555 {rng.randint(0, 9999):04d}"
    return f"+1 {rng.choice(['212', '312', '415', '512', '617', '206'])} 555 01{rng.randint(0, 99):02d}"


def _account_specs() -> list[Account]:
    # A fixed generator, independent of --seed: accounts are found again by external id on every run.
    rng = random.Random("escalation-desk-demo-accounts")
    tiers = [tier for tier, count in TIER_COUNTS.items() for _ in range(count)]
    rng.shuffle(tiers)
    accounts = []
    for (name, domain, region), tier in zip(ACCOUNTS, tiers, strict=True):
        first, last = rng.choice(CONTACT_FIRST_NAMES), rng.choice(CONTACT_LAST_NAMES)
        accounts.append(
            Account(
                external_id=_external_id(name),
                name=name,
                tier=tier,
                revenue_band=rng.choice(TIER_REVENUE_BANDS[tier]),
                region=region,
                contact_name=f"{first} {last}",
                contact_email=f"{_ascii(first)}.{_ascii(last)}@{domain}",
                contact_phone=_phone(region, rng),
            )
        )
    return accounts


def _accounts_ensure() -> list[Account]:
    specs = _account_specs()
    external_ids = [account.external_id for account in specs]
    existing = set(Account.objects.filter(external_id__in=external_ids).values_list("external_id", flat=True))
    Account.objects.bulk_create([account for account in specs if account.external_id not in existing])
    by_external_id = {account.external_id: account for account in Account.objects.filter(external_id__in=external_ids)}
    return [by_external_id[external_id] for external_id in external_ids]


def _categories_ensure() -> list[tuple[DemoCategory, Category]]:
    categories = []
    for spec in CATEGORIES:
        category, _ = Category.objects.get_or_create(
            slug=spec.slug, defaults={"name": spec.name, "description": spec.description}
        )
        categories.append((spec, category))
    return categories


def _root_causes_ensure() -> dict[str, RootCause]:
    drivers = {}
    for area_slug, area_name, area_description, area_drivers in ROOT_CAUSES:
        area, _ = RootCause.objects.get_or_create(
            parent=None, slug=area_slug, defaults={"name": area_name, "description": area_description}
        )
        for driver_slug, driver_name in area_drivers:
            drivers[driver_slug], _ = RootCause.objects.get_or_create(
                parent=area, slug=driver_slug, defaults={"name": driver_name}
            )
    return drivers


def _remediations_ensure(world: _World, *, now: datetime) -> list[Remediation]:
    remediations = []
    manager = world.people[MORGAN.email]
    for number, spec in enumerate(REMEDIATIONS, start=101):
        remediation, created = Remediation.objects.get_or_create(
            title=spec.title,
            owner_team=world.teams[spec.team],
            defaults={
                "description": spec.description,
                "proposed_fix": spec.proposed_fix,
                "owner": world.people[spec.owner],
                "priority": spec.priority,
                "status": spec.status,
                "due_date": (now + timedelta(days=spec.due_in_days)).date() if spec.due_in_days is not None else None,
                "decline_reason": spec.decline_reason,
                "tracker_url": f"https://tracker.example.com/REM-{number}",
                "created_by": manager,
                "shipped_at": now - timedelta(days=spec.shipped_days_ago) if spec.shipped_days_ago else None,
                "verified_at": now - timedelta(days=spec.verified_days_ago) if spec.verified_days_ago else None,
            },
        )
        if created:
            remediation.root_causes.set([world.drivers[slug] for slug in spec.drivers])
            # created_at is auto_now_add; backdate it so the remediation has a history.
            Remediation.objects.filter(pk=remediation.pk).update(created_at=now - timedelta(days=spec.created_days_ago))
        remediations.append(remediation)
    return remediations


# --- escalations -----------------------------------------------------------------------------------------


@dataclass
class _CasePlan:
    status: Status
    category_spec: DemoCategory
    category: Category
    template: CaseTemplate
    account: Account
    requester: User
    requesting_org: str
    priority: str
    path: list[Status]
    times: list[datetime] = field(default_factory=list)
    automatic_steps: set[int] = field(default_factory=set)
    triager: User | None = None
    assignee: User | None = None
    driver: RootCause | None = None
    original: "_CasePlan | None" = None
    affected: int = 1
    escalation: Escalation | None = None

    @property
    def filed_at(self) -> datetime:
        return self.times[0]


def _between(start: datetime, end: datetime, rng: random.Random, low: float = 0.1, high: float = 0.9) -> datetime:
    return start + (end - start) * rng.uniform(low, high)


def _soon_after(start: datetime, limit: datetime, rng: random.Random, minutes: tuple[float, float]) -> datetime:
    """A moment a few minutes after `start`, but always well before `limit`."""
    return start + min(timedelta(minutes=rng.uniform(*minutes)), (limit - start) * rng.uniform(0.2, 0.6))


def _final_statuses(count: int, rng: random.Random) -> list[Status]:
    if count < len(Status):
        # Too few to show every status; leave duplicates out so each case stands on its own.
        statuses = [status for status in Status if status != Status.DUPLICATE]
        rng.shuffle(statuses)
        return statuses[:count]
    statuses = list(Status)
    rng.shuffle(statuses)
    return statuses + rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=count - len(Status))


def _path_to(final: Status, rng: random.Random) -> list[Status]:
    """A walk from new to `final` along allowed edges, with the detours real cases take."""
    new, triaged, working = Status.NEW, Status.TRIAGED, Status.IN_PROGRESS
    if final in (Status.NEW, Status.TRIAGED, Status.REJECTED):
        path = {Status.NEW: [new], Status.TRIAGED: [new, triaged], Status.REJECTED: [new, Status.REJECTED]}[final]
    elif final == Status.DUPLICATE:
        path = rng.choice(
            [[new], [new], [new, triaged], [new, triaged, working], [new, triaged, working, Status.WAITING_ON_PARTNER]]
        )
        path.append(Status.DUPLICATE)
    else:
        path = [new, triaged, working]
        for _ in range(rng.choices([0, 1, 2], weights=[5, 3, 1])[0]):
            path += [rng.choice([Status.WAITING_ON_PARTNER, Status.WAITING_ON_USER]), working]
        if final == working and rng.random() < 0.08:
            path += [Status.RESOLVED, working]
        elif final in (Status.WAITING_ON_PARTNER, Status.WAITING_ON_USER):
            path.append(final)
        elif final in (Status.RESOLVED, Status.CLOSED):
            if rng.random() < 0.15:
                path = [new, triaged]
            elif rng.random() < 0.3:
                path.append(rng.choice([Status.WAITING_ON_PARTNER, Status.WAITING_ON_USER]))
            path.append(Status.RESOLVED)
            if rng.random() < 0.06:
                path += [working, Status.RESOLVED]
            if final == Status.CLOSED:
                path.append(Status.CLOSED)
                if rng.random() < 0.04:
                    path += [working, Status.RESOLVED, Status.CLOSED]
    for previous, current in pairwise(path):
        if not is_allowed(previous, current):
            raise AssertionError(f"Demo path takes a forbidden edge {previous} → {current}")
    return path


def _step_gaps(plan: _CasePlan, rng: random.Random) -> list[timedelta]:
    gaps = []
    for index, (previous, current) in enumerate(pairwise(plan.path), start=1):
        action = ALLOWED_TRANSITIONS[(previous, current)]
        if action == "close" and rng.random() < 0.6:
            plan.automatic_steps.add(index)
            gaps.append(timedelta(days=settings.ESCALATION_AUTO_CLOSE_DAYS, minutes=rng.uniform(1, 30)))
        else:
            gaps.append(timedelta(hours=rng.uniform(*STEP_HOURS[action]) * PRIORITY_PACE[plan.priority]))
    return gaps


def _last_step_age(status: Status, span: timedelta, rng: random.Random) -> timedelta:
    """How long ago the case reached its current status."""
    auto_close_days = settings.ESCALATION_AUTO_CLOSE_DAYS
    span_days = span.total_seconds() / 86400
    if status == Status.NEW:
        days = rng.uniform(0.02, 3) if rng.random() < 0.85 else rng.uniform(3, 10)
    elif status in OPEN_STATUSES:
        days = rng.uniform(0.05, 5)
    elif status == Status.RESOLVED:
        # Mostly inside the auto-close window; a few just past it, for the sweep to close.
        days = rng.uniform(0.05, auto_close_days - 0.5) if rng.random() < 0.9 else rng.uniform(auto_close_days, 10)
    else:
        days = rng.uniform(0.2, max(0.3, HISTORY_DAYS - 2 - span_days))
    return timedelta(days=days)


def _timeline_fit(plan: _CasePlan, gaps: list[timedelta], *, last_at: datetime, earliest: datetime) -> None:
    """Place the steps so the last one happens at `last_at` and the filing no earlier than `earliest`."""
    span = sum(gaps, timedelta())
    if last_at - span < earliest:
        fixed = sum((gap for index, gap in enumerate(gaps, start=1) if index in plan.automatic_steps), timedelta())
        factor = max(last_at - earliest - fixed, timedelta(0)) / max(span - fixed, timedelta(seconds=1))
        gaps = [gap if index in plan.automatic_steps else gap * factor for index, gap in enumerate(gaps, start=1)]
    filed_at = last_at - sum(gaps, timedelta())
    plan.times = [filed_at]
    for gap in gaps:
        plan.times.append(plan.times[-1] + gap)


def _weighted(rng: random.Random, weighted_items: list[tuple[object, float]]):
    items, weights = zip(*weighted_items, strict=True)
    return rng.choices(items, weights=weights)[0]


def _driver_for(plan: _CasePlan, world: _World, rng: random.Random) -> RootCause:
    choices = []
    for slug in plan.category_spec.likely_drivers:
        driver = world.drivers[slug]
        # Shipped fixes work: their drivers show up far less in cases filed afterwards.
        fixed_at = world.driver_fixed_at.get(driver.pk)
        choices.append((driver, 0.2 if fixed_at and plan.filed_at > fixed_at else 1.0))
    return _weighted(rng, choices)


@dataclass
class _Cast:
    """Who files, triages, works and watches the generated cases, and how often."""

    requesters: list[tuple[User, float]]
    requesting_orgs: dict[User, str]
    specialists: list[User]
    triagers: list[tuple[User, float]]
    watchers: list[User]

    @classmethod
    def from_world(cls, world: _World) -> "_Cast":
        requester_specs = (RILEY, QUINN, *MORE_REQUESTERS)
        requesters = [world.people[person.email] for person in requester_specs]
        sasha, jordan, morgan = (world.people[person.email] for person in (SASHA, JORDAN, MORGAN))
        return cls(
            requesters=[(user, REQUESTER_WEIGHTS.get(user.email, 1)) for user in requesters],
            requesting_orgs={world.people[person.email]: person.requesting_org for person in requester_specs},
            specialists=[sasha, jordan],
            triagers=[(sasha, 3), (jordan, 3), (morgan, 1)],
            watchers=[morgan, *requesters],
        )


def _case_plan(status: Status, world: _World, cast: _Cast, rng: random.Random) -> _CasePlan:
    category_spec, category = rng.choice(world.categories)
    account = rng.choice(world.accounts)
    requester = _weighted(rng, cast.requesters)
    plan = _CasePlan(
        status=status,
        category_spec=category_spec,
        category=category,
        template=rng.choice(category_spec.cases),
        account=account,
        requester=requester,
        requesting_org=cast.requesting_orgs[requester],
        priority=rng.choices(["P1", "P2", "P3", "P4"], weights=PRIORITY_WEIGHTS_BY_TIER[account.tier])[0],
        path=_path_to(status, rng),
        affected=int(rng.lognormvariate(3, 1.3)) + 2,
    )
    gaps = _step_gaps(plan, rng)
    earliest = world.now - timedelta(days=HISTORY_DAYS - 1)
    last_at = world.now - _last_step_age(status, sum(gaps, timedelta()), rng)
    _timeline_fit(plan, gaps, last_at=last_at, earliest=earliest)
    _cast_workers(plan, cast, rng)
    if Status.RESOLVED in plan.path:
        plan.driver = _driver_for(plan, world, rng)
    return plan


def _duplicate_plan(original: _CasePlan, world: _World, cast: _Cast, rng: random.Random) -> _CasePlan:
    """Someone else files the same problem for the same account shortly after the original."""
    others = [(user, weight) for user, weight in cast.requesters if user != original.requester]
    requester = _weighted(rng, others)
    plan = _CasePlan(
        status=Status.DUPLICATE,
        category_spec=original.category_spec,
        category=original.category,
        template=original.template,
        account=original.account,
        requester=requester,
        requesting_org=cast.requesting_orgs[requester],
        priority=original.priority,
        path=_path_to(Status.DUPLICATE, rng),
        original=original,
        affected=original.affected,
    )
    gaps = _step_gaps(plan, rng)
    room = world.now - original.filed_at
    filed_at = original.filed_at + min(timedelta(hours=rng.uniform(0.5, 72)), room * rng.uniform(0.1, 0.5))
    span = sum(gaps, timedelta())
    room_left = (world.now - filed_at) * 0.9
    factor = min(1.0, room_left / span)
    plan.times = [filed_at]
    for gap in gaps:
        plan.times.append(plan.times[-1] + gap * factor)
    _cast_workers(plan, cast, rng)
    return plan


def _cast_workers(plan: _CasePlan, cast: _Cast, rng: random.Random) -> None:
    if len(plan.path) == 1:
        return
    plan.triager = _weighted(rng, cast.triagers)
    if Status.TRIAGED in plan.path:
        keeps_it = plan.triager in cast.specialists and rng.random() < 0.75
        plan.assignee = plan.triager if keeps_it else rng.choice(cast.specialists)


def _escalations_generate(world: _World, *, count: int, seed: int) -> dict[Status, int]:
    rng = random.Random(seed)
    cast = _Cast.from_world(world)
    prefetch_related_objects(world.remediations, "root_causes")
    world.driver_fixed_at = {
        root_cause.pk: remediation.shipped_at
        for remediation in world.remediations
        if remediation.shipped_at
        for root_cause in remediation.root_causes.all()
    }
    statuses = _final_statuses(count, rng)
    plans = [_case_plan(status, world, cast, rng) for status in statuses if status != Status.DUPLICATE]
    originals = list(plans)
    plans += [
        _duplicate_plan(rng.choice(originals), world, cast, rng) for status in statuses if status == Status.DUPLICATE
    ]
    plans.sort(key=lambda plan: plan.filed_at)

    for plan, reference in zip(plans, reference_allocate(count=len(plans)), strict=True):
        plan.escalation = _escalation_build(plan, reference, rng)
    events, handoffs, watchers = [], [], []
    for plan in plans:
        plan_events, plan_handoffs = _case_activity(plan, world, rng)
        events += plan_events
        handoffs += plan_handoffs
        watchers += _watchers_pick(plan, cast, rng)

    # Originals first: a duplicate can point only at a saved case.
    Escalation.objects.bulk_create([plan.escalation for plan in plans if plan.original is None])
    Escalation.objects.bulk_create([plan.escalation for plan in plans if plan.original is not None])
    Handoff.objects.bulk_create(handoffs, batch_size=500)
    EscalationEvent.objects.bulk_create(events, batch_size=500)
    EscalationWatcher.objects.bulk_create(watchers, batch_size=500)
    _remediations_link(world, plans, rng)
    return dict(Counter(plan.status for plan in plans))


def _text_context(plan: _CasePlan) -> dict[str, object]:
    return {
        "account": plan.account.name,
        "account_s": f"{plan.account.name}'" if plan.account.name.endswith("s") else f"{plan.account.name}'s",
        "contact": plan.account.contact_name or "the customer",
        "affected": plan.affected,
        "requester_first": plan.requester.get_short_name(),
        "driver": plan.driver.name.lower() if plan.driver else "",
    }


def _escalation_build(plan: _CasePlan, reference: str, rng: random.Random) -> Escalation:
    context = _text_context(plan)
    times, path = plan.times, plan.path
    last_time_of = {status: times[index] for index, status in enumerate(path)}
    revenue_low, revenue_high = REVENUE_AT_RISK_RANGE[plan.account.revenue_band]
    is_resolved = plan.status in (Status.RESOLVED, Status.CLOSED)
    description = plan.template.description.format(**context)
    if plan.original is not None:
        description = f"Filing for {context['contact']} as well, in case nobody has yet.\n\n{description}"
    return Escalation(
        reference=reference,
        title=plan.template.title,
        description=description,
        account=plan.account,
        requester=plan.requester,
        requesting_org=plan.requesting_org,
        category=plan.category,
        priority=plan.priority,
        status=plan.status.value,
        assignee=plan.assignee,
        customer_need=plan.template.customer_need,
        needed_by=(plan.filed_at + timedelta(days=rng.uniform(1, 21))).date() if rng.random() < 0.5 else None,
        customers_affected=plan.affected if rng.random() < 0.7 else None,
        revenue_at_risk=Decimal(round(rng.uniform(revenue_low, revenue_high) / 100) * 100)
        if rng.random() < 0.7
        else None,
        has_regulatory_exposure=plan.template.has_regulatory_exposure or rng.random() < 0.04,
        preferred_contact_channel=rng.choices(Escalation.ContactChannel.values, weights=[6, 2, 2])[0],
        version=len(path),
        filed_at=plan.filed_at,
        triaged_at=last_time_of.get(Status.TRIAGED),
        resolved_at=last_time_of[Status.RESOLVED] if is_resolved else None,
        closed_at=last_time_of[Status.CLOSED] if plan.status == Status.CLOSED else None,
        reopen_count=sum(ALLOWED_TRANSITIONS[edge] == "reopen" for edge in pairwise(path)),
        resolution_summary=rng.choice(RESOLUTION_SUMMARIES).format(**context) if plan.driver else "",
        root_cause=plan.driver,
        rejection_reason=rng.choice(REJECTION_REASONS) if plan.status == Status.REJECTED else "",
        duplicate_of=plan.original.escalation if plan.original else None,
    )


@dataclass
class _Timeline:
    escalation: Escalation
    events: list[EscalationEvent] = field(default_factory=list)

    def add(self, at, kind, actor, body, *, visibility=EscalationEvent.Visibility.SHARED, data=None) -> None:
        self.events.append(
            EscalationEvent(
                escalation=self.escalation,
                actor=actor,
                kind=kind,
                visibility=visibility,
                body=body,
                data=data or {},
                created_at=at,
            )
        )


def _step_actor(plan: _CasePlan, index: int, status: Status) -> User | None:
    if status in (Status.TRIAGED, Status.REJECTED):
        return plan.triager
    if index in plan.automatic_steps:
        return None
    return plan.assignee or plan.triager


def _case_activity(plan: _CasePlan, world: _World, rng: random.Random) -> tuple[list[EscalationEvent], list[Handoff]]:
    """The case's timeline as the services would have written it, and its handoffs; sets the derived timestamps."""
    escalation, context = plan.escalation, _text_context(plan)
    timeline = _Timeline(escalation)
    handoffs = []
    kinds = EscalationEvent.Kind
    timeline.add(
        plan.filed_at,
        kinds.FILED,
        plan.requester,
        f"{plan.requester} filed {escalation.reference} for {plan.account.name}.",
        data={"priority": plan.priority},
    )
    for index, (previous, current) in enumerate(pairwise(plan.path), start=1):
        at = plan.times[index]
        next_at = plan.times[index + 1] if index + 1 < len(plan.times) else world.now
        actor = _step_actor(plan, index, current)
        data = {"from": previous.value, "to": current.value, "action": ALLOWED_TRANSITIONS[(previous, current)]}
        body = f"{actor or 'Escalation Desk'} moved {escalation.reference} from {previous.label} to {current.label}."
        if current == Status.REJECTED:
            data["reason"] = escalation.rejection_reason
            body += f" Reason: {escalation.rejection_reason}"
        elif current == Status.RESOLVED:
            data["root_cause"] = str(plan.driver)
        elif current == Status.DUPLICATE:
            data["duplicate_of"] = plan.original.escalation.reference
        timeline.add(at, kinds.STATUS_CHANGED, actor, body, data=data)

        if current == Status.TRIAGED and plan.assignee:
            assigned_at = _soon_after(at, next_at, rng, minutes=(0.1, 1))
            timeline.add(
                assigned_at,
                kinds.ASSIGNED,
                actor,
                f"{actor} took {escalation.reference}."
                if actor == plan.assignee
                else f"{actor} assigned {escalation.reference} to {plan.assignee}.",
                data={"from": None, "to": plan.assignee.email},
            )
            timeline.add(
                _soon_after(assigned_at, next_at, rng, minutes=(5, 180 * PRIORITY_PACE[plan.priority])),
                kinds.COMMENT,
                plan.assignee,
                rng.choice(FIRST_RESPONSES).format(**context),
            )
        elif current == Status.WAITING_ON_USER:
            timeline.add(
                _soon_after(at, next_at, rng, minutes=(1, 30)),
                kinds.COMMENT,
                plan.assignee,
                rng.choice(WAITING_ON_CUSTOMER_COMMENTS).format(**context),
            )
        elif current == Status.WAITING_ON_PARTNER:
            following = plan.path[index + 1] if index + 1 < len(plan.path) else None
            handoffs.append(
                _handoff_add(plan, world, rng, timeline, requested_at=_soon_after(at, next_at, rng, minutes=(1, 20)),
                             answer_by=next_at, following=following)
            )  # fmt: skip

    _chatter_add(plan, world, rng, timeline)
    timeline.events.sort(key=lambda event: event.created_at)
    worker_comments = [
        event.created_at
        for event in timeline.events
        if event.kind == kinds.COMMENT and event.actor is not None and event.actor.works_cases
    ]
    if worker_comments:
        escalation.first_response_at = worker_comments[0]
    elif plan.status in (Status.REJECTED, Status.DUPLICATE):
        escalation.first_response_at = plan.times[-1]  # the requester is told why
    escalation.updated_at = timeline.events[-1].created_at
    return timeline.events, handoffs


def _handoff_add(
    plan: _CasePlan,
    world: _World,
    rng: random.Random,
    timeline: _Timeline,
    *,
    requested_at: datetime,
    answer_by: datetime,
    following: Status | None,
) -> Handoff:
    """Hand part of the case to a partner team; answered if the case moved on, open if it still waits."""
    team_slug = plan.category_spec.partner_team if rng.random() < 0.8 else rng.choice(TEAMS).slug
    team, spec = world.teams[team_slug], next(spec for spec in TEAMS if spec.slug == team_slug)
    context = _text_context(plan)
    ask = rng.choice(spec.handoff_asks).format(**context)
    handoff = Handoff(
        escalation=plan.escalation,
        partner_team=team,
        requested_by=plan.assignee,
        ask=ask,
        status=Handoff.Status.REQUESTED,
        # Wall-clock approximation of the team's business-minutes target; good enough for demo due dates.
        due_at=requested_at + timedelta(minutes=team.handoff_response_target_minutes),
        created_at=requested_at,
    )
    timeline.add(
        requested_at,
        EscalationEvent.Kind.HANDOFF,
        plan.assignee,
        f"{plan.assignee} handed part of {plan.escalation.reference} to {team}: {ask}",
        visibility=EscalationEvent.Visibility.INTERNAL,
        data={"partner_team": team.slug, "status": Handoff.Status.REQUESTED.value},
    )
    if following == Status.DUPLICATE:
        handoff.status = Handoff.Status.CANCELLED
    elif following is not None or rng.random() < 0.35:
        responder = rng.choice(world.team_members[team_slug])
        handoff.responded_at = _between(requested_at, answer_by, rng, 0.3, 0.9)
        if following is None:
            handoff.status, handoff.response = Handoff.Status.ACKNOWLEDGED, rng.choice(ACKNOWLEDGEMENTS)
        else:
            handoff.status, handoff.response = Handoff.Status.ANSWERED, rng.choice(spec.handoff_answers)
        timeline.add(
            handoff.responded_at,
            EscalationEvent.Kind.HANDOFF,
            responder,
            f"{responder} ({team}) {handoff.get_status_display().lower()} the handoff: {handoff.response}",
            visibility=EscalationEvent.Visibility.INTERNAL,
            data={"partner_team": team.slug, "status": handoff.status.value},
        )
    return handoff


def _chatter_add(plan: _CasePlan, world: _World, rng: random.Random, timeline: _Timeline) -> None:
    """Comments and internal notes between the steps; until someone owns the case only the requester speaks."""
    context = _text_context(plan)
    ends_at = world.now if plan.status in OPEN_STATUSES else plan.times[-1]
    triaged_at = plan.escalation.triaged_at
    requester_lines, worker_lines = list(REQUESTER_COMMENTS), list(WORKER_COMMENTS)
    rng.shuffle(requester_lines)
    rng.shuffle(worker_lines)
    for _ in range(rng.choices([0, 1, 2, 3], weights=[3, 4, 2, 1])[0]):
        at = _between(plan.filed_at, ends_at, rng, 0.02, 0.98)
        is_owned = plan.assignee is not None and triaged_at is not None and at > triaged_at
        speaker, lines = (
            (plan.assignee, worker_lines) if is_owned and rng.random() < 0.5 else (plan.requester, requester_lines)
        )
        timeline.add(at, EscalationEvent.Kind.COMMENT, speaker, lines.pop().format(**context))
    if plan.status in (Status.RESOLVED, Status.CLOSED) and rng.random() < 0.4:
        thanked_until = plan.times[-1] if plan.status == Status.CLOSED else world.now
        timeline.add(
            _between(plan.escalation.resolved_at, thanked_until, rng, 0.05, 0.6),
            EscalationEvent.Kind.COMMENT,
            plan.requester,
            rng.choice(REQUESTER_THANKS).format(**context),
        )
    if plan.assignee and triaged_at:
        for note in rng.sample(INTERNAL_NOTES, k=rng.choices([0, 1, 2], weights=[4, 4, 2])[0]):
            timeline.add(
                _between(triaged_at, ends_at, rng, 0.05, 0.95),
                EscalationEvent.Kind.NOTE,
                world.people[MORGAN.email] if rng.random() < 0.25 else plan.assignee,
                note.format(**context),
                visibility=EscalationEvent.Visibility.INTERNAL,
            )


def _watchers_pick(plan: _CasePlan, cast: _Cast, rng: random.Random) -> list[EscalationWatcher]:
    if rng.random() >= 0.3:
        return []
    candidates = [user for user in cast.watchers if user not in (plan.requester, plan.assignee)]
    return [
        EscalationWatcher(escalation=plan.escalation, user=user)
        for user in rng.sample(candidates, k=rng.choice([1, 1, 2]))
    ]


def _remediations_link(world: _World, plans: list[_CasePlan], rng: random.Random) -> None:
    """Tie each remediation to a few of the resolved cases that share its drivers: the evidence for it."""
    for remediation in world.remediations:
        driver_ids = {root_cause.pk for root_cause in remediation.root_causes.all()}
        evidence = [
            plan.escalation
            for plan in plans
            if plan.driver is not None
            and plan.driver.pk in driver_ids
            and plan.status in (Status.RESOLVED, Status.CLOSED)
        ]
        if evidence:
            remediation.escalations.add(*rng.sample(evidence, k=min(len(evidence), rng.randint(2, 6))))
