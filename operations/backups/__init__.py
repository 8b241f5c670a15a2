"""The database's nightly dump (`make backup`), its proof by restoring it (`make restore-drill`),
and S3 versions back to a moment (`make s3-restore`)."""
