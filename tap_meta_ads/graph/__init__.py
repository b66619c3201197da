"""HTTP to Meta's Graph API: client, error table, pacing, auth and paging (knows no stream)."""
