from rest_framework import serializers

from backoffice.models import Organization, User


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "base_currency", "time_zone"]


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "role", "is_active"]


class MeSerializer(serializers.ModelSerializer):
    organization = OrganizationSerializer(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "organization",
            "is_superuser",
        ]


class HealthCheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    latency_ms = serializers.FloatField(required=False)


class WorkerCheckSerializer(HealthCheckSerializer):
    heartbeat_age_seconds = serializers.FloatField(allow_null=True, required=False)


class BrokerCheckSerializer(HealthCheckSerializer):
    transport = serializers.CharField(required=False)


class HealthChecksSerializer(serializers.Serializer):
    database = HealthCheckSerializer()
    cache = HealthCheckSerializer()
    broker = BrokerCheckSerializer()
    worker = WorkerCheckSerializer()


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "degraded"])
    checks = HealthChecksSerializer()
