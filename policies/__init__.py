"""The newcool-infra policy pack. The repository imports its rules as `policies.guardrails`;
published, the pack's directory is the import root and they are `guardrails`."""
