package bleve

// LivePlan is livePlan, for the tests of the merge plan.
var LivePlan = livePlan
