"""All the webhooks service's routes."""

from __future__ import annotations

from fastapi import APIRouter

from webhooks.delivery.router import router as delivery_router
from webhooks.intake.router import router as intake_router
from webhooks.subscription.router import router as subscription_router
from webhooks.subscription.router import types_router

api_router = APIRouter()
api_router.include_router(types_router)
api_router.include_router(subscription_router)
api_router.include_router(delivery_router)
api_router.include_router(intake_router)
