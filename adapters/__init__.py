"""The AWS side of the system, shared by the four functions and the training worker.

Configuration from the environment (:mod:`adapters.config`), Powertools logging and metrics
(:mod:`adapters.observability`), SDK clients (:mod:`adapters.clients`), the data bucket's S3
store (:mod:`adapters.s3`) and the queue and topic (:mod:`adapters.messaging`). The domain
package ``mushroom`` imports none of it and no AWS SDK. Shipped in the functions' domain layer
beside ``mushroom`` (layers/build.py). Importing the package itself imports nothing.
"""
