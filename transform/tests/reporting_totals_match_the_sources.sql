-- The reports lose or double nothing: per account and day, their spend and conversions equal
-- the loaded insights (the client report those of the account level, the ad report those of
-- the ad level). Rows returned are differences.
with clients as (
    select date_day, currency, sum(spend) as spend, sum(conversions) as conversions
    from {{ ref('client_daily_performance') }}
    group by 1, 2
),
accounts as (
    select date_start as date_day, account_currency as currency,
           sum(spend) as spend, sum(conversions) as conversions
    from {{ source('meta_ads', 'account_insights') }}
    group by 1, 2
),
ads_report as (
    select account_id, date_day, sum(spend) as spend, sum(conversions) as conversions
    from {{ ref('ad_daily_performance') }}
    group by 1, 2
),
ads_loaded as (
    select account_id, date_start as date_day, sum(spend) as spend,
           sum(conversions) as conversions
    from {{ source('meta_ads', 'ad_insights') }}
    group by 1, 2
)
select 'client_daily_performance' as report, date_day, currency as grouped_by
from clients as c
full join accounts as a using (date_day, currency)
where c.spend is distinct from a.spend or c.conversions is distinct from a.conversions
union all
select 'ad_daily_performance', date_day, account_id
from ads_report as r
full join ads_loaded as l using (account_id, date_day)
where r.spend is distinct from l.spend or r.conversions is distinct from l.conversions
