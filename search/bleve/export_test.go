package bleve

// LivePlan is livePlan, for the tests of the merge plan.
var LivePlan = livePlan

// SetExhaustive makes x's searches group every matching document, as
// they do by date, for comparing the two.
func SetExhaustive(x *Index, on bool) { x.exhaustive = on }
