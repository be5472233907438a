package access

// ApprovalStep is one step of approval in order: its approvers (entries as
// in Resource.Approvers) and how many of them must approve.
type ApprovalStep struct {
	Approvers    []string
	MinApprovals int
}

// Stepped reports whether r's requests are approved in steps.
func (r *Resource) Stepped() bool { return len(r.Steps) > 0 }

// StepRequired is how many approvals step i of r needs (RequiredApprovals
// without steps).
func (r *Resource) StepRequired(i int) int {
	if !r.Stepped() {
		return r.RequiredApprovals()
	}
	if i >= len(r.Steps) {
		i = len(r.Steps) - 1
	}
	return max(r.Steps[i].MinApprovals, 1)
}

// StepEntries returns the approvers of step i, parsed; the resource's
// approvers when it has no steps.
func (r *Resource) StepEntries(i int) []ApproverEntry {
	if !r.Stepped() {
		return r.ApproverEntries()
	}
	if i >= len(r.Steps) {
		i = len(r.Steps) - 1
	}
	return ParseApproverEntries(r.Steps[i].Approvers)
}

// RequiredNow is how many approvals r needs in the step it is in.
func (r *Request) RequiredNow(res *Resource) int { return res.StepRequired(r.Step) }

// StepApprovals returns the approvals given in r's current step.
func (r *Request) StepApprovals() []Decision {
	var out []Decision
	for _, d := range r.Decisions {
		if d.Approve && d.Step == r.Step {
			out = append(out, d)
		}
	}
	return out
}

// Steps is how many steps r's resource approves in (1 without steps).
func (res *Resource) StepCount() int { return max(len(res.Steps), 1) }
