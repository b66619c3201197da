select
    account_id,
    id as account_ref,
    name as account_name,
    label as client_label,
    client_id,
    currency,
    timezone_name,
    account_status,
    account_status = 1 as is_active,
    amount_spent,
    balance,
    spend_cap,
    business ->> 'id' as business_id,
    business ->> 'name' as business_name,
    {{ utc('created_time') }} as created_at,
    {{ utc('_sdc_batched_at') }} as loaded_at
from {{ source('meta_ads', 'ad_account') }}
