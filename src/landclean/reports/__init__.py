"""Reports: summary.json (a contract), report.html and report.xlsx."""
