"""Articles in and out: corpus files read, checked and written (store), captures and pages read
into articles (ingest, extract), safe fetching (fetch), links and feeds (links)."""
