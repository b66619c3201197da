{{ stg_insights('adset') }}
