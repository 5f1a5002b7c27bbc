from flask import Blueprint

bp = Blueprint("marketplace", __name__, url_prefix="/events")

