package server

// "model": "live" on /api/predict asks the training run for its latest
// snapshot (a copy made about every second, and at each pause):
// *live.Manager implements liveModel with LiveNet.
func init() { liveOf = func(a *app) liveModel { return a.train } }
