package flashsim

// Op is a kind of flash operation, for a PowerCut.
type Op string

// The operations a power cut can land in.
const (
	OpErase   Op = "erase"
	OpProgram Op = "program"
	OpRead    Op = "read"
)

// PowerCut is a fault of the lab: the unit's power failing during a flash
// operation (the fault matrix's power cut during a reflash). Where it
// lands in each kind of operation is the chip's (Chip.SetPowerCut,
// NAND.SetPowerCut).
type PowerCut struct {
	// Cuts is asked as each operation starts whether the power fails
	// during it. It runs with the chip locked and must not call the chip.
	Cuts func(op Op) bool
	// Fails is the power failing, called where the cut lands: once the
	// chip holds what the cut leaves and before the operation returns.
	// Called then and not as the operation starts, so what it does to the
	// unit (a power-off ends the bootloader's command) cannot stop the
	// operation before the cut's point. It runs with the chip locked:
	// whatever it does to the unit it does in a goroutine of its own.
	Fails func()
}

// cuts says whether the power fails in an operation of kind op starting
// now; false for no cut switched on.
func (p *PowerCut) cuts(op Op) bool { return p != nil && p.Cuts != nil && p.Cuts(op) }

// land is the cut landing.
func (p *PowerCut) land() {
	if p.Fails != nil {
		p.Fails()
	}
}
