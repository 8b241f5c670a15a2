"""Scheduled reporters that publish what CloudWatch alarms on: database connections and Supabase's log errors."""
