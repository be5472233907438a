package access

// OnBehalf says who may ask for a resource on someone else's behalf.
type OnBehalf string

const (
	OnBehalfOff       OnBehalf = ""          // nobody (the default)
	OnBehalfAdmins    OnBehalf = "admins"    // the accessbot admins
	OnBehalfApprovers OnBehalf = "approvers" // the resource's approvers
	OnBehalfAnyone    OnBehalf = "anyone"
)

// CheckOnBehalf returns nil when a person may ask for res for someone else:
// admin says whether they are an accessbot admin, approver whether they
// approve res. EFORBIDDEN with a reason otherwise.
func (res *Resource) CheckOnBehalf(admin, approver bool) error {
	p := Params{Resource: res.Name, Value: string(res.OnBehalf)}
	switch res.OnBehalf {
	case OnBehalfAnyone:
		return nil
	case OnBehalfAdmins:
		if admin {
			return nil
		}
	case OnBehalfApprovers:
		if approver {
			return nil
		}
	default:
		return Refuse(EFORBIDDEN, ReasonOnBehalfOff, p)
	}
	return Refuse(EFORBIDDEN, ReasonOnBehalfNotAllowed, p)
}

// OnBehalf reports whether r was asked for by someone other than the
// person who gets the access.
func (r *Request) OnBehalf() bool { return r.RequestedBy != (User{}) }

// IsParty reports whether u is the person who gets r's access or the one
// who asked for it: neither may decide it, and either may withdraw it.
func (r *Request) IsParty(u User) bool {
	return u.Is(r.Requester) || (r.OnBehalf() && u.Is(r.RequestedBy))
}
