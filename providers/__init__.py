"""Pulumi dynamic providers: resources no published provider manages (the Supabase schema)."""
