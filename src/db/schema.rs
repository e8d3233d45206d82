//! Diesel's view of the tables in `migrations/`. Written by hand with the SQL types both backends
//! share (BigInt, Integer, Text, Bool, Timestamp, Binary), so one schema serves SQLite and PostgreSQL.

diesel::table! {
    partners (id) {
        id -> BigInt,
        kind -> Text,
        name -> Text,
        partner_number -> Nullable<Text>,
        country -> Text,
        contact_name -> Text,
        contact_email -> Text,
        enrollment_status -> Text,
        rejection_reason -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
        reviewed_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        statement_due_days -> Integer,
        require_mfa -> Bool,
        support_email -> Nullable<Text>,
        support_phone -> Nullable<Text>,
    }
}

diesel::table! {
    customers (id) {
        id -> BigInt,
        company_name -> Text,
        domain_prefix -> Text,
        address_line1 -> Text,
        address_line2 -> Text,
        city -> Text,
        state -> Text,
        postal_code -> Text,
        country -> Text,
        contact_first_name -> Text,
        contact_last_name -> Text,
        contact_email -> Text,
        contact_phone -> Text,
        language -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        partner_id -> Nullable<BigInt>,
        customer_id -> Nullable<BigInt>,
        display_name -> Text,
        locale -> Nullable<Text>,
        must_change_password -> Bool,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_sign_in_at -> Nullable<Timestamp>,
        time_zone -> Nullable<Text>,
        team_role -> Text,
        deactivated_at -> Nullable<Timestamp>,
        totp_secret -> Nullable<Text>,
        totp_last_step -> Nullable<BigInt>,
        mfa_enabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    mfa_recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Nullable<BigInt>,
        state -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        user_agent -> Nullable<Text>,
        address -> Nullable<Text>,
        last_seen_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    team_invitations (id) {
        id -> BigInt,
        partner_id -> BigInt,
        email -> Text,
        team_role -> Text,
        token_hash -> Text,
        invited_by -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    relationship_requests (id) {
        id -> BigInt,
        kind -> Text,
        provider_id -> BigInt,
        token_hash -> Text,
        recipient_email -> Nullable<Text>,
        reseller_id -> Nullable<BigInt>,
        include_delegated_admin -> Bool,
        status -> Text,
        superseded_by -> Nullable<BigInt>,
        created_by -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        responded_at -> Nullable<Timestamp>,
        responded_by -> Nullable<BigInt>,
        accepted_partner_id -> Nullable<BigInt>,
        accepted_customer_id -> Nullable<BigInt>,
        delegation_accepted -> Nullable<Bool>,
        waiting_reseller_id -> Nullable<BigInt>,
        waiting_token_sealed -> Nullable<Text>,
        grant_id -> Nullable<BigInt>,
        shared_at -> Nullable<Timestamp>,
        label -> Nullable<Text>,
    }
}

diesel::table! {
    partnerships (id) {
        id -> BigInt,
        provider_id -> BigInt,
        reseller_id -> BigInt,
        status -> Text,
        request_id -> Nullable<BigInt>,
        customer_count -> BigInt,
        license_count -> BigInt,
        created_at -> Timestamp,
        removed_at -> Nullable<Timestamp>,
        removed_by -> Nullable<BigInt>,
        reseller_name -> Text,
        credit_limit_minor -> Nullable<BigInt>,
        review_every_order -> Bool,
    }
}

diesel::table! {
    provider_customers (id) {
        id -> BigInt,
        provider_id -> BigInt,
        customer_id -> BigInt,
        reseller_id -> Nullable<BigInt>,
        azure_tenant_owner -> Bool,
        origin -> Text,
        company_name -> Text,
        domain_prefix -> Text,
        subscription_count -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    drafts (id) {
        id -> BigInt,
        kind -> Text,
        user_id -> BigInt,
        provider_id -> BigInt,
        data -> Text,
        status -> Text,
        result_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        expires_at -> Timestamp,
        sealed_secret -> Nullable<Text>,
    }
}

diesel::table! {
    provider_stats (provider_id) {
        provider_id -> BigInt,
        resellers -> BigInt,
        customers -> BigInt,
        subscriptions -> BigInt,
        licenses -> BigInt,
        orders -> BigInt,
    }
}

diesel::table! {
    provider_monthly_stats (provider_id, month) {
        provider_id -> BigInt,
        month -> Text,
        new_customers -> BigInt,
    }
}

diesel::table! {
    offers (id) {
        id -> BigInt,
        sku -> Text,
        name -> Text,
        description -> Text,
        unit_price_minor -> BigInt,
        currency -> Text,
        billing -> Text,
        min_licenses -> Integer,
        max_licenses -> Integer,
        retired_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        family -> Text,
        name_zh_tw -> Text,
        description_zh_tw -> Text,
    }
}

diesel::table! {
    offer_prices (offer_id, term, billing) {
        offer_id -> BigInt,
        term -> Text,
        billing -> Text,
        unit_price_minor -> BigInt,
    }
}

diesel::table! {
    offer_upgrades (offer_id, target_offer_id) {
        offer_id -> BigInt,
        target_offer_id -> BigInt,
    }
}

diesel::table! {
    subscriptions (id) {
        id -> BigInt,
        provider_id -> BigInt,
        customer_id -> BigInt,
        offer_id -> BigInt,
        quantity -> Integer,
        status -> Text,
        reseller_of_record_id -> Nullable<BigInt>,
        support_contact_id -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        term -> Text,
        billing -> Text,
        auto_renew -> Bool,
        term_start -> Timestamp,
        ends_at -> Timestamp,
        unit_price_minor -> BigInt,
        ended_at -> Nullable<Timestamp>,
        upgraded_to -> Nullable<BigInt>,
        unit_cost_minor -> BigInt,
        next_charge_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    subscription_windows (id) {
        id -> BigInt,
        subscription_id -> BigInt,
        quantity -> Integer,
        opened_at -> Timestamp,
        closes_at -> Timestamp,
    }
}

diesel::table! {
    scheduled_changes (id) {
        id -> BigInt,
        subscription_id -> BigInt,
        quantity -> Nullable<Integer>,
        term -> Nullable<Text>,
        billing -> Nullable<Text>,
        offer_id -> Nullable<BigInt>,
        status -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        applies_at -> Timestamp,
        done_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    renewal_reminders (subscription_id, ends_at, days) {
        subscription_id -> BigInt,
        ends_at -> Timestamp,
        days -> Integer,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    orders (id) {
        id -> BigInt,
        provider_id -> BigInt,
        customer_id -> BigInt,
        reseller_id -> Nullable<BigInt>,
        placed_by_user_id -> BigInt,
        placed_by_partner_id -> Nullable<BigInt>,
        kind -> Text,
        currency -> Text,
        total_minor -> BigInt,
        idempotency_key -> Nullable<Text>,
        created_at -> Timestamp,
        number -> BigInt,
        status -> Text,
        reviewed_by -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
        review_reason -> Nullable<Text>,
        statement_id -> Nullable<BigInt>,
        resale_statement_id -> Nullable<BigInt>,
        review_payload -> Nullable<Text>,
    }
}

diesel::table! {
    order_lines (id) {
        id -> BigInt,
        order_id -> BigInt,
        offer_id -> BigInt,
        subscription_id -> Nullable<BigInt>,
        quantity -> Integer,
        previous_quantity -> Nullable<Integer>,
        unit_price_minor -> BigInt,
        line_total_minor -> BigInt,
        period_start -> Nullable<Timestamp>,
        period_end -> Nullable<Timestamp>,
        term -> Nullable<Text>,
        billing -> Nullable<Text>,
        unit_cost_minor -> BigInt,
        cost_total_minor -> BigInt,
        unit_sale_minor -> Nullable<BigInt>,
        sale_total_minor -> Nullable<BigInt>,
    }
}

diesel::table! {
    logos (id) {
        id -> BigInt,
        owner_partner_id -> BigInt,
        content_type -> Text,
        bytes -> Binary,
        sha256 -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    provider_profiles (provider_id) {
        provider_id -> BigInt,
        company_name -> Text,
        logo_id -> Nullable<BigInt>,
        published -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    provider_profile_locations (provider_id, country) {
        provider_id -> BigInt,
        country -> Text,
        url -> Text,
    }
}

diesel::table! {
    profile_change_requests (id) {
        id -> BigInt,
        provider_id -> BigInt,
        status -> Text,
        company_name -> Text,
        logo_id -> Nullable<BigInt>,
        locations -> Text,
        submitted_by -> BigInt,
        submitted_at -> Timestamp,
        expected_by -> Timestamp,
        reviewed_by -> Nullable<BigInt>,
        reviewed_at -> Nullable<Timestamp>,
        rejection_reason -> Nullable<Text>,
    }
}

diesel::table! {
    activity_log (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor_user_id -> Nullable<BigInt>,
        actor_partner_id -> Nullable<BigInt>,
        provider_id -> Nullable<BigInt>,
        reseller_id -> Nullable<BigInt>,
        customer_id -> Nullable<BigInt>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Nullable<BigInt>,
        old_value -> Nullable<Text>,
        new_value -> Nullable<Text>,
    }
}

diesel::table! {
    email_outbox (id) {
        id -> BigInt,
        to_address -> Text,
        template -> Text,
        locale -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        sensitive -> Bool,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        reply_to -> Nullable<Text>,
    }
}

diesel::table! {
    grants (id) {
        id -> BigInt,
        provider_id -> BigInt,
        customer_id -> BigInt,
        holder_id -> BigInt,
        role_admin -> Bool,
        role_licenses -> Bool,
        role_support -> Bool,
        role_billing -> Bool,
        days -> Integer,
        auto_extend -> Bool,
        status -> Text,
        requested_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        approved_at -> Nullable<Timestamp>,
        approved_by -> Nullable<BigInt>,
        ended_at -> Nullable<Timestamp>,
        ended_by -> Nullable<BigInt>,
        reminded -> Integer,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        token_hash -> Text,
        prefix -> Text,
        access -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    throttle_failures (key) {
        key -> Text,
        failures -> Integer,
        last_at_ms -> BigInt,
    }
}

diesel::table! {
    throttle_buckets (key) {
        key -> Text,
        due_at_ms -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (token_id, idempotency_key) {
        token_id -> BigInt,
        idempotency_key -> Text,
        request_hash -> Text,
        status -> Integer,
        body -> Text,
        location -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> BigInt,
        partner_id -> BigInt,
        url -> Text,
        events -> Text,
        secret_sealed -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        endpoint_id -> BigInt,
        message_id -> Text,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
        response_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    platform_settings (id) {
        id -> Integer,
        require_mfa -> Bool,
    }
}

diesel::joinable!(grants -> customers (customer_id));
diesel::joinable!(users -> partners (partner_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(users -> customers (customer_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(team_invitations -> partners (partner_id));
diesel::joinable!(password_resets -> users (user_id));
diesel::joinable!(provider_customers -> customers (customer_id));
diesel::joinable!(subscriptions -> offers (offer_id));
diesel::joinable!(subscriptions -> customers (customer_id));
diesel::joinable!(order_lines -> orders (order_id));
diesel::joinable!(order_lines -> offers (offer_id));
diesel::joinable!(orders -> customers (customer_id));
diesel::joinable!(drafts -> users (user_id));
diesel::joinable!(provider_profiles -> logos (logo_id));
diesel::joinable!(offer_prices -> offers (offer_id));
diesel::joinable!(subscription_windows -> subscriptions (subscription_id));
diesel::joinable!(scheduled_changes -> subscriptions (subscription_id));
diesel::joinable!(price_rules -> offers (offer_id));
diesel::joinable!(sale_prices -> offers (offer_id));

diesel::allow_tables_to_appear_in_same_query!(
    partners,
    platform_settings,
    webhook_endpoints,
    webhook_deliveries,
    api_tokens,
    idempotency_keys,
    grants,
    mfa_recovery_codes,
    team_invitations,
    password_resets,
    customers,
    users,
    sessions,
    relationship_requests,
    partnerships,
    provider_customers,
    drafts,
    offers,
    subscriptions,
    orders,
    order_lines,
    offer_prices,
    offer_upgrades,
    subscription_windows,
    scheduled_changes,
    renewal_reminders,
    logos,
    provider_profiles,
    provider_profile_locations,
    profile_change_requests,
    activity_log,
    email_outbox,
    provider_stats,
    provider_monthly_stats,
    price_rules,
    sale_prices,
    statements,
    statement_runs,
    margin_months,
);

diesel::table! {
    price_rules (id) {
        id -> BigInt,
        provider_id -> BigInt,
        audience -> Text,
        reseller_id -> Nullable<BigInt>,
        offer_id -> Nullable<BigInt>,
        term -> Nullable<Text>,
        billing -> Nullable<Text>,
        markup_bp -> Nullable<Integer>,
        price_minor -> Nullable<BigInt>,
        effective_from -> Timestamp,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sale_prices (id) {
        id -> BigInt,
        reseller_id -> BigInt,
        provider_id -> BigInt,
        offer_id -> BigInt,
        term -> Text,
        billing -> Text,
        customer_id -> BigInt,
        price_minor -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    statements (id) {
        id -> BigInt,
        provider_id -> BigInt,
        number -> BigInt,
        kind -> Text,
        reseller_id -> BigInt,
        customer_id -> BigInt,
        month -> Text,
        period_start -> Timestamp,
        period_end -> Timestamp,
        issued_at -> Timestamp,
        due_at -> Timestamp,
        currency -> Text,
        total_minor -> BigInt,
        line_count -> BigInt,
        paid_at -> Nullable<Timestamp>,
        paid_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    statement_runs (provider_id, month) {
        provider_id -> BigInt,
        month -> Text,
        claimed_at -> Timestamp,
        done_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    margin_months (provider_id, reseller_id, offer_id, month) {
        provider_id -> BigInt,
        reseller_id -> BigInt,
        offer_id -> BigInt,
        month -> Text,
        revenue_minor -> BigInt,
        cost_minor -> BigInt,
        sale_minor -> BigInt,
    }
}
