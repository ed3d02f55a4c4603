// The ranks a tensor-parallel model is spread over, and the one collective it needs: every rank
// contributes its slice and receives everybody's (an all-gather of unequal parts).
//
// Built with LLMRT_MPI, the ranks are MPI_COMM_WORLD's (Open MPI, started by mpirun); without
// it only the single-process communicator exists. MPI's own state is process-global, so it is
// the one global state here: the library initializes MPI (asking for MPI_THREAD_SERIALIZED)
// only when the program has not, and then finalizes it at process exit; a program that
// initialized MPI itself keeps ownership of its lifetime. Only the thread inside an llmrt call
// communicates, one call at a time; the thread pool's workers never call MPI.
//
// A rank never waits forever: a collective the other ranks do not all join within the timeout
// (LLMRT_TP_TIMEOUT seconds, default kDefaultCollectiveTimeoutSeconds) fails with Error(Io). MPI
// cannot cancel a collective, so the ranks are then out of step for good: the communicator refuses
// every later call, no new one can be made in this process, and the library does not finalize MPI
// at exit (MPI_Finalize would wait for the missing rank), so mpirun, seeing a rank exit without
// finalizing, ends the others. A program that initialized MPI itself should call MPI_Abort, not
// MPI_Finalize, after such an error.
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
    // Error(Internal) when MPI reports a failure, Error(Io) when the other ranks do not all join
    // within the timeout, and Error(Io) on every call after either.
    virtual void allgatherv(const float *local, const int *counts, float *all) const = 0;
};

// How long a rank waits in a collective for the others when LLMRT_TP_TIMEOUT is not set: long
// enough for ranks that finish loading a large model minutes apart (a cold disk on one host) or
// compute a long prefill at different speeds, short enough that a stalled job ends by itself.
constexpr double kDefaultCollectiveTimeoutSeconds = 600;

// Whether this build can spread a model over MPI ranks (built with LLMRT_MPI).
bool mpi_available();

// The ranks of MPI_COMM_WORLD, initializing MPI on first use when the program has not. Collective
// (every rank must call it). Throws Error(Unsupported) in a build without MPI, Error(Internal) when
// MPI cannot start, Error(InvalidArgument) for a malformed LLMRT_TP_TIMEOUT, Error(Io) when the
// other ranks do not join within the timeout or an earlier collective in this process failed.
std::shared_ptr<const Communicator> world_communicator();

}  // namespace llmrt
