//! The policy report and promotion: admins only, evidence thresholds.
