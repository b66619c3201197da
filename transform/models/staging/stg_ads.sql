select
    id as ad_id,
    adset_id,
    campaign_id,
    account_id,
    name as ad_name,
    status,
    effective_status,
    {{ is_status('DELETED') }} as is_deleted,
    {{ is_status('ARCHIVED') }} as is_archived,
    creative_id,
    {{ json_or_null('creative') }} as creative,
    bid_amount,
    {{ utc('created_time') }} as created_at,
    {{ utc('updated_time') }} as updated_at,
    {{ utc('_sdc_batched_at') }} as loaded_at
from {{ source('meta_ads', 'ads') }}
