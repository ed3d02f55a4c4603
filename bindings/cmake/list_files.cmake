# cmake -DDIR=<dir> -DPATTERN=<glob> -DOUT=<file> -P list_files.cmake
# Writes the files SWIG generated (known only after it ran) one per line, as a javac/mcs
# response file. Always rewritten, so whatever compiles them sees a change after each SWIG run.
file(GLOB files "${DIR}/${PATTERN}")
list(SORT files)
list(JOIN files "\n" lines)
file(WRITE "${OUT}" "${lines}\n")
