from django.db import models


class Gender(models.TextChoices):
    UNSPECIFIED = "unspecified", "Unspecified"
    FEMALE = "female", "Female"
    MALE = "male", "Male"


class PhoneType(models.TextChoices):
    BUSINESS = "business", "Business"
    MOBILE = "mobile", "Mobile"
    HOME = "home", "Home"


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    QUALIFIED = "qualified", "Qualified"
    DISQUALIFIED = "disqualified", "Disqualified"


class OpportunityStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    IDENTIFICATION_ALIGNMENT = "identification_alignment", "Identification & alignment"
    NEEDS_ANALYSIS = "needs_analysis", "Needs analysis"
    SOLUTION_DEVELOPMENT = "solution_development", "Solution development"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Closed won"
    LOST = "lost", "Closed lost"


CLOSED_STATUSES = (OpportunityStatus.WON, OpportunityStatus.LOST)

# Default probability (percent) of each status; an organization may change them.
DEFAULT_STATUS_PROBABILITY = {
    OpportunityStatus.IN_PROGRESS: 10,
    OpportunityStatus.IDENTIFICATION_ALIGNMENT: 20,
    OpportunityStatus.NEEDS_ANALYSIS: 40,
    OpportunityStatus.SOLUTION_DEVELOPMENT: 60,
    OpportunityStatus.NEGOTIATION: 80,
    OpportunityStatus.WON: 100,
    OpportunityStatus.LOST: 0,
}


class CloseReason(models.TextChoices):
    WON = "won", "Won"
    OUTSOLD = "outsold", "Outsold"
    CANCELLED = "cancelled", "Cancelled"


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    WAITING = "waiting", "Waiting on others"
    DEFERRED = "deferred", "Deferred"


class TaskPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"


class ChannelType(models.TextChoices):
    BUSINESS = "business", "Business customers"
    COMMERCE = "commerce", "Commerce"
    WEB_STORE = "web_store", "External web store"
