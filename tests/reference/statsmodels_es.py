# Reference figures for tests/forecasting_test.cc: statsmodels 0.13.5 (Debian 12's
# python3-statsmodels) ExponentialSmoothing, default options, on ../shared/data/series.
# Run: /usr/bin/python3 tests/reference/statsmodels_es.py (writes /tmp/ref/sm.json).
import warnings, sys, json
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd
from statsmodels.tsa.holtwinters import ExponentialSmoothing
S='/work/shared/data/series/'
cfg={'airpassengers':(12,12),'usaccdeaths':(12,12),'nile':(None,10),'llm_daily_spend_dev':(7,14)}
def smape(a,f): return 100*np.mean(2*np.abs(f-a)/(np.abs(a)+np.abs(f)))
out={}
for name,(m,h) in cfg.items():
    y=pd.read_csv(S+name+'.csv')['value'].values.astype(float)
    tr,te=y[:-h],y[-h:]
    res={}
    for trend in [None,'add']:
        for damped in ([False,True] if trend else [False]):
            for seas in ([None,'add','mul'] if m else [None]):
                key=f"{trend}-{'d' if damped else ''}-{seas}"
                try:
                    r=ExponentialSmoothing(tr,trend=trend,damped_trend=damped,seasonal=seas,seasonal_periods=m).fit()
                    f=r.forecast(h)
                    rf=ExponentialSmoothing(y,trend=trend,damped_trend=damped,seasonal=seas,seasonal_periods=m).fit()
                    res[key]=dict(smape=round(smape(te,f),3),sse_train=r.sse,sse_full=rf.sse,aicc=r.aicc,params={k:float(v) for k,v in r.params.items() if np.isscalar(v)})
                except Exception as e: res[key]=str(e)
    if m:
        f=np.array([tr[len(tr)-m+(i%m)] for i in range(h)]); res['snaive']=dict(smape=round(smape(te,f),3))
    f=np.repeat(tr[-1],h); res['naive']=dict(smape=round(smape(te,f),3))
    out[name]=res
    print(name); 
    for k,v in res.items(): print('  ',k, v if isinstance(v,str) else {kk:vv for kk,vv in v.items() if kk!='params'})
import os; os.makedirs('/tmp/ref', exist_ok=True); json.dump(out, open('/tmp/ref/sm.json', 'w'), indent=1)
