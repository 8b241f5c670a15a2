"""The NewCool platform's infrastructure: composes the components for the selected stack."""

import pulumi

from components.config import load_stack_config
from components.storage import MediaStorage, StorageArgs

config = load_stack_config()

storage = MediaStorage(
    "media",
    StorageArgs(
        config=config.storage,
        environment=config.environment,
        protect_data=config.is_prod,
        tags=config.tags,
    ),
)

pulumi.export("bucketNames", {role: bucket.bucket for role, bucket in storage.buckets.items()})
pulumi.export("cdnUrls", storage.cdn_urls)
pulumi.export("cdnDistributionIds", {role: dist.id for role, dist in storage.distributions.items()})
