-- Daily performance per ad, with its campaign and ad set names and the account's client.
select
    i.date_day,
    coalesce(a.client_label, a.account_name) as client_label,
    coalesce(a.client_id, a.account_id) as client_id,
    i.account_id,
    a.account_name,
    i.currency,
    i.campaign_id,
    c.campaign_name,
    i.adset_id,
    s.adset_name,
    i.ad_id,
    d.ad_name,
    d.effective_status as ad_effective_status,
    coalesce(d.is_deleted, false) as ad_is_deleted,
    coalesce(d.is_archived, false) as ad_is_archived,
    i.impressions,
    i.reach,
    i.clicks,
    i.link_clicks,
    i.spend,
    i.conversions,
    {{ ratio('100 * i.clicks', 'i.impressions') }} as ctr_percent,
    {{ ratio('i.spend', 'i.clicks') }} as cpc,
    {{ ratio('i.spend', 'i.conversions') }} as cost_per_conversion
from {{ ref('stg_ad_insights') }} as i
left join {{ ref('stg_ad_accounts') }} as a on a.account_id = i.account_id
left join {{ ref('stg_campaigns') }} as c on c.campaign_id = i.campaign_id
left join {{ ref('stg_adsets') }} as s on s.adset_id = i.adset_id
left join {{ ref('stg_ads') }} as d on d.ad_id = i.ad_id
