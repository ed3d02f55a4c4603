#include "core/communicator.h"

#include <string>
#include <vector>

#include "core/error.h"

#if LLMRT_HAVE_MPI
#include <cstdlib>
#include <mutex>

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

// Registered with atexit only when the library started MPI, so a program that owns MPI's
// lifetime keeps it. Skipped when something else already finalized it.
void finalize_at_exit() {
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

class MpiCommunicator final : public Communicator {
public:
    MpiCommunicator() {
        ensure_initialized();
        // Our own communicator: its error handler and its traffic never mix with the program's.
        check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
        // Errors come back as codes (turned into LLMRT_ERR_INTERNAL) instead of aborting the job.
        check_mpi(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
        check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
        check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
        displs_.resize(static_cast<size_t>(size_));
    }
    ~MpiCommunicator() override {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Comm_free(&comm_);
    }
    MpiCommunicator(const MpiCommunicator &) = delete;
    MpiCommunicator &operator=(const MpiCommunicator &) = delete;

    int rank() const override { return rank_; }
    int size() const override { return size_; }

    void allgatherv(const float *local, const int *counts, float *all) const override {
        int offset = 0;
        for (int p = 0; p < size_; ++p) {
            displs_[static_cast<size_t>(p)] = offset;
            offset += counts[p];
        }
        check_mpi(MPI_Allgatherv(local, counts[rank_], MPI_FLOAT, all, counts, displs_.data(), MPI_FLOAT, comm_),
                  "MPI_Allgatherv");
    }

private:
    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = 0, size_ = 1;
    // Reused by every call: no allocation per matmul. Collectives run on one thread at a time
    // (all ranks must issue them in the same order anyway), so sharing it is safe.
    mutable std::vector<int> displs_;
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
