package dynamo

import (
	"testing"

	"github.com/overduehq/overdue/internal/store/peopletest"
)

func TestPeopleConformance(t *testing.T) {
	peopletest.Run(t, func(t *testing.T) peopletest.Stores {
		s := newStore(t)
		return peopletest.Stores{People: s.People(), Store: s}
	})
}
