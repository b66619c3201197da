-- Spend and conversions per client and day. A client is the `label` and `client_id` its
-- accounts were configured with (an account without them is its own client, under its
-- name and id). Money is summed per currency: one row per client, day and currency.
select
    i.date_day,
    coalesce(a.client_label, a.account_name) as client_label,
    coalesce(a.client_id, a.account_id) as client_id,
    i.currency,
    count(distinct i.account_id) as accounts,
    sum(i.impressions) as impressions,
    sum(i.clicks) as clicks,
    sum(i.spend) as spend,
    sum(i.conversions) as conversions,
    {{ ratio('sum(i.spend)', 'sum(i.conversions)') }} as cost_per_conversion
from {{ ref('stg_account_insights') }} as i
left join {{ ref('stg_ad_accounts') }} as a on a.account_id = i.account_id
group by 1, 2, 3, 4
