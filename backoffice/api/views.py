from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.api.serializers import HealthSerializer, MeSerializer, UserSerializer
from backoffice.filters import UserFilter
from backoffice.health import health_report
from backoffice.models import User
from backoffice.selectors import user_list


class MeView(generics.RetrieveAPIView):
    """Who the caller is: user, role and organization."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


class UserListView(generics.ListAPIView):
    """Users of the caller's organization (to pick owners and assignees)."""

    serializer_class = UserSerializer
    queryset = User.objects.none()  # for the schema; requests use get_queryset()
    filterset_class = UserFilter
    ordering_fields = ["username", "last_name"]

    def get_queryset(self):
        return user_list(actor=self.request.user)


class UserDetailView(generics.RetrieveAPIView):
    """One user of the caller's organization."""

    serializer_class = UserSerializer
    queryset = User.objects.none()

    def get_queryset(self):
        return user_list(actor=self.request.user)


class HealthView(APIView):
    """Whether the database, cache, broker and a worker are reachable. Needs no authentication.

    Answers 503 only when the database is down (this process cannot serve); a missing worker or
    broker shows as status "degraded" with 200, so a load balancer keeps serving pages.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: HealthSerializer, 503: HealthSerializer})
    def get(self, request):
        report = health_report()
        code = status.HTTP_200_OK if report["checks"]["database"]["ok"] else status.HTTP_503_SERVICE_UNAVAILABLE
        return Response(report, status=code)
