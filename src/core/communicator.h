// The ranks a tensor-parallel model is spread over, and the one collective it needs: every rank
// contributes its slice and receives everybody's (an all-gather of unequal parts).
//
// Built with LLMRT_MPI, the ranks are MPI_COMM_WORLD's (Open MPI, started by mpirun); without
// it only the single-process communicator exists. MPI's own state is process-global, so it is
// the one global state here: the library initializes MPI (asking for MPI_THREAD_SERIALIZED)
// only when the program has not, and then finalizes it at process exit; a program that
// initialized MPI itself keeps ownership of its lifetime. Only the thread inside an llmrt call
// communicates, one call at a time; the thread pool's workers never call MPI.
#pragma once

#include <cstdint>
#include <memory>

namespace llmrt {

class Communicator {
public:
    virtual ~Communicator() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    // Collective: rank p sends counts[p] floats from `local`; `all` receives every rank's
    // contribution, rank after rank (displacements are the running sums of counts). Every rank
    // must call it with the same counts, in the same order as the other ranks' calls. Throws
    // Error(Internal) when MPI reports a failure.
    virtual void allgatherv(const float *local, const int *counts, float *all) const = 0;
};

// Whether this build can spread a model over MPI ranks (built with LLMRT_MPI).
bool mpi_available();

// The ranks of MPI_COMM_WORLD, initializing MPI on first use when the program has not. Throws
// Error(Unsupported) in a build without MPI, Error(Internal) when MPI cannot start.
std::shared_ptr<const Communicator> world_communicator();

}  // namespace llmrt
