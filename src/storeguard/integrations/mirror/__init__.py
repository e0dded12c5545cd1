"""What a platform reports, mirrored into storeguard's tables by one writer (webhooks and bulk imports alike)."""
