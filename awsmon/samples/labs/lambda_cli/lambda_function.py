"""The lambda-cli lab's function: greets by name, logs with the logging module, fails on an empty name."""

import json
import logging
import os

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def lambda_handler(event, context):
    print("Received event: " + json.dumps(event))
    name = event.get("name")
    if not name:
        raise ValueError("name must not be empty")
    logger.info("greeting %s (%d ms left)", name, context.get_remaining_time_in_millis())
    return {"statusCode": 200, "body": f"{os.environ.get('GREETING', 'Hello')}, {name}!"}
