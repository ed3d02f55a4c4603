#include "core/communicator.h"

#include <string>
#include <vector>

#include "core/error.h"

#if LLMRT_HAVE_MPI
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

// The C API only: Open MPI's header otherwise pulls in its deprecated C++ bindings, which need a
// library (libmpi_cxx) we do not link.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace llmrt {

#if LLMRT_HAVE_MPI
namespace {

// A failed MPI call as an Error carrying MPI's own description of the failure.
void check_mpi(int code, const char *what) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
    fail(Status::Internal, std::string(what) + " failed: " + (length > 0 ? std::string(text, length) : "MPI error " +
                                                                                std::to_string(code)));
}

// Set when a collective was abandoned (timed out or failed). Then one rank will never reach
// MPI_Finalize, which waits for all of them, so the exit must not call it: mpirun sees this rank
// exit without finalizing and ends the others. Process-wide, like the MPI state it describes.
std::atomic<bool> abandoned_collective{false};

// Registered with atexit only when the library started MPI, so a program that owns MPI's
// lifetime keeps it. Skipped when something else already finalized it.
void finalize_at_exit() {
    if (abandoned_collective.load()) return;
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
}

// Starts MPI once per process (MPI allows one MPI_Init per process, hence the process-wide flag).
void ensure_initialized() {
    static std::once_flag once;
    static std::string failure;  // written once, under `once`
    std::call_once(once, [] {
        int initialized = 0;
        MPI_Initialized(&initialized);
        if (initialized) return;
        int provided = 0;
        // Only the thread inside an llmrt call communicates, never the pool's workers, and one
        // call at a time; but a program may load the model on one thread and decode on another,
        // which FUNNELED (only the initializing thread) would forbid: ask for SERIALIZED.
        const int code = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
        if (code != MPI_SUCCESS) {
            failure = "MPI_Init_thread failed (error " + std::to_string(code) + ")";
            return;
        }
        std::atexit(finalize_at_exit);
        if (provided < MPI_THREAD_FUNNELED)
            failure = "this MPI library supports only MPI_THREAD_SINGLE; llmrt needs MPI_THREAD_FUNNELED or more";
    });
    require(failure.empty(), Status::Internal, failure);
}

std::string seconds_text(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", seconds);
    return text;
}

// LLMRT_TP_TIMEOUT, read when a communicator is made (an environment variable rather than a model
// parameter: the wait that is reasonable depends on the machines and the model, which whoever runs
// mpirun knows, and it then applies to the CLI, the bindings and any program alike).
std::chrono::duration<double> collective_timeout() {
    constexpr double kMaxSeconds = 1e6;  // far below where steady_clock's nanoseconds overflow
    const char *text = std::getenv("LLMRT_TP_TIMEOUT");
    if (text == nullptr || *text == '\0') return std::chrono::duration<double>(kDefaultCollectiveTimeoutSeconds);
    char *end = nullptr;
    const double seconds = std::strtod(text, &end);
    require(*end == '\0' && std::isfinite(seconds) && seconds > 0 && seconds <= kMaxSeconds, Status::InvalidArgument,
            std::string("LLMRT_TP_TIMEOUT=") + text + ": expected the seconds a rank waits for the others in a "
            "collective, a number above 0 and at most " + seconds_text(kMaxSeconds));
    return std::chrono::duration<double>(seconds);
}

// What MPI reads and writes while a collective is in flight. MPI cannot cancel a collective, so
// if the other ranks never complete one, MPI may still write here later (a late rank, a transport
// writing straight into memory): an abandoned one is deliberately leaked, never freed. The
// caller's buffers are therefore copied in and out rather than handed to MPI.
struct InFlight {
    MPI_Comm comm = MPI_COMM_NULL;
    std::vector<int> counts, displs;
    std::vector<float> send, recv;  // grown to the largest collective seen, then reused
};

class MpiCommunicator final : public Communicator {
public:
    MpiCommunicator() : timeout_(collective_timeout()) {
        ensure_initialized();
        require(!abandoned_collective.load(), Status::Io,
                "tensor parallelism: an earlier collective in this process timed out or failed, so the ranks are out "
                "of step and MPI cannot be used again: exit (mpirun then ends the other ranks) and start again");
        // MPI_COMM_WORLD's rank and size, which its duplicate keeps, known before the duplicate
        // exists so that a timeout while making it can name this rank.
        check_mpi(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
        check_mpi(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
        flight_->counts.resize(static_cast<size_t>(size_));
        flight_->displs.resize(static_cast<size_t>(size_));
        // Our own communicator: its error handler and its traffic never mix with the program's.
        // Collective, so a rank that never loads the model must not keep the others here forever.
        MPI_Request request = MPI_REQUEST_NULL;
        complete("MPI_Comm_idup", MPI_Comm_idup(MPI_COMM_WORLD, &flight_->comm, &request), request);
        // Errors come back as codes (turned into LLMRT_ERR_INTERNAL) instead of aborting the job.
        check_mpi(MPI_Comm_set_errhandler(flight_->comm, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    }
    ~MpiCommunicator() override {
        if (broken_) return;  // the communicator stays with its abandoned collective (InFlight)
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Comm_free(&flight_->comm);
    }
    MpiCommunicator(const MpiCommunicator &) = delete;
    MpiCommunicator &operator=(const MpiCommunicator &) = delete;

    int rank() const override { return rank_; }
    int size() const override { return size_; }

    void allgatherv(const float *local, const int *counts, float *all) const override {
        require(!broken_, Status::Io,
                "tensor parallelism: rank " + std::to_string(rank_) + ": an earlier collective timed out or failed, "
                "so the ranks are out of step and this model cannot compute any more: exit (mpirun then ends the "
                "other ranks) and start again");
        InFlight &f = *flight_;
        int total = 0;
        for (int p = 0; p < size_; ++p) {
            f.counts[static_cast<size_t>(p)] = counts[p];
            f.displs[static_cast<size_t>(p)] = total;
            total += counts[p];
        }
        const int mine = counts[rank_];
        if (f.send.size() < static_cast<size_t>(mine)) f.send.resize(static_cast<size_t>(mine));
        if (f.recv.size() < static_cast<size_t>(total)) f.recv.resize(static_cast<size_t>(total));
        std::copy(local, local + mine, f.send.data());
        MPI_Request request = MPI_REQUEST_NULL;
        complete("MPI_Iallgatherv",
                 MPI_Iallgatherv(f.send.data(), mine, MPI_FLOAT, f.recv.data(), f.counts.data(), f.displs.data(),
                                 MPI_FLOAT, f.comm, &request),
                 request);
        std::copy(f.recv.data(), f.recv.data() + total, all);
    }

private:
    // Waits for the collective `what` that `started` (its start call's code) began, polling until
    // the timeout. Any failure leaves it in flight and the ranks out of step: the communicator is
    // then broken for good and its InFlight abandoned (see there).
    void complete(const char *what, int started, MPI_Request &request) const {
        try {
            check_mpi(started, what);
            const auto start = std::chrono::steady_clock::now();
            const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout_);
            for (;;) {
                int done = 0;
                check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), what);
                if (done) return;
                const auto now = std::chrono::steady_clock::now();
                if (now >= deadline)
                    fail(Status::Io, "tensor parallelism: rank " + std::to_string(rank_) + " of " +
                                         std::to_string(size_) + " waited " + seconds_text(timeout_.count()) +
                                         " s in " + what + " for the other ranks, which did not all join (a rank "
                                         "stalled or died; the limit is LLMRT_TP_TIMEOUT seconds, default " +
                                         seconds_text(kDefaultCollectiveTimeoutSeconds) + ")");
                // The others are usually microseconds away: yield, which also lets a rank sharing
                // this core run. Past a millisecond a rank is slow or stalled: sleep between polls,
                // leaving the core to the ranks still computing, for at most ~0.1 ms more latency.
                if (now - start < std::chrono::milliseconds(1))
                    std::this_thread::yield();
                else
                    std::this_thread::sleep_for(std::chrono::microseconds(100));
            }
        } catch (...) {
            broken_ = true;
            abandoned_collective.store(true);
            (void)flight_.release();  // leaked on purpose: MPI may still write into it
            throw;
        }
    }

    const std::chrono::duration<double> timeout_;
    int rank_ = 0, size_ = 1;
    // Reused by every call: no allocation per matmul. Collectives run on one thread at a time
    // (all ranks must issue them in the same order anyway), so sharing it is safe.
    mutable std::unique_ptr<InFlight> flight_ = std::make_unique<InFlight>();
    mutable bool broken_ = false;
};

}  // namespace

bool mpi_available() { return true; }

std::shared_ptr<const Communicator> world_communicator() { return std::make_shared<MpiCommunicator>(); }

#else  // !LLMRT_HAVE_MPI

bool mpi_available() { return false; }

std::shared_ptr<const Communicator> world_communicator() {
    fail(Status::Unsupported, "tensor parallelism needs MPI, and this build of llmrt has none "
                              "(configure with -DLLMRT_MPI=ON and Open MPI installed)");
}

#endif

}  // namespace llmrt
