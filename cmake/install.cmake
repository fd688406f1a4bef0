# What `cmake --install` puts beside the tools (CMakeLists.txt installs them to bin/), and the
# Debian package CPack makes of it all. Included from the top-level CMakeLists.txt after the
# tools are defined: completions are installed only for tools that are built.
#
#   man/*.1, man/*.7          -> share/man/man1, share/man/man7
#   completions/ (bash)       -> share/bash-completion/completions/<tool>  (bash-completion loads a
#                                command's file by its name on first <Tab>)
#   completions/ (zsh)        -> RD_ZSH_COMPLETION_DIR (default share/zsh/site-functions)
#   completions/ (fish)       -> share/fish/vendor_completions.d/<tool>.fish
#   examples/ (not demo.sh)   -> share/doc/rd/examples
#   README.md, docs/*.md and their pictures, bench/README.md
#                             -> share/doc/rd/README.md, share/doc/rd/docs/, share/doc/rd/bench/
#                                (the source tree's layout, so the guides' relative links work)
#
# Completion files are found by name, one file for all tools or one per tool:
#   bash: completions/rd.bash, or completions/<tool>.bash, or completions/bash/<tool>
#   zsh:  completions/_rd (a '#compdef rd-train rd-score …' file), or rd.zsh, or _<tool>
#   fish: completions/rd.fish, or completions/<tool>.fish
# Man pages, completions and guides are globbed when CMake configures (and re-globbed by the build), so
# pages added later are picked up by the next build.
include(GNUInstallDirs)

set(_rd_tools)
foreach(_rd_tool IN LISTS RD_TOOLS)
  if(TARGET ${_rd_tool})
    list(APPEND _rd_tools ${_rd_tool})
  endif()
endforeach()

# --- man pages
file(GLOB _rd_man1 CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.1)
file(GLOB _rd_man7 CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.7)
if(_rd_man1)
  install(FILES ${_rd_man1} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()
if(_rd_man7)
  install(FILES ${_rd_man7} DESTINATION ${CMAKE_INSTALL_MANDIR}/man7)
endif()

# --- shell completions
set(_rd_completions ${PROJECT_SOURCE_DIR}/completions)
# Touching any completion file re-runs the configure step, so a file added later is seen.
file(GLOB_RECURSE _rd_completion_files CONFIGURE_DEPENDS ${_rd_completions}/*)

set(_rd_bash_dir ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
foreach(_rd_tool IN LISTS _rd_tools)
  foreach(_rd_src IN ITEMS ${_rd_completions}/${_rd_tool}.bash ${_rd_completions}/bash/${_rd_tool}
                           ${_rd_completions}/rd.bash)
    if(EXISTS ${_rd_src})
      install(FILES ${_rd_src} DESTINATION ${_rd_bash_dir} RENAME ${_rd_tool})
      break()
    endif()
  endforeach()
endforeach()

# zsh looks in $fpath: share/zsh/site-functions is zsh's own default and what most
# distributions use; Debian's zsh reads /usr/share/zsh/vendor-completions for packages (and
# /usr/local/share/zsh/site-functions), so a .deb is configured with
# -DCMAKE_INSTALL_PREFIX=/usr, which picks vendor-completions on Debian.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" AND EXISTS /etc/debian_version)
  set(_rd_zsh_default ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
else()
  set(_rd_zsh_default ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
endif()
set(RD_ZSH_COMPLETION_DIR ${_rd_zsh_default} CACHE STRING "Where zsh completion functions are installed")
if(EXISTS ${_rd_completions}/_rd)
  install(FILES ${_rd_completions}/_rd DESTINATION ${RD_ZSH_COMPLETION_DIR})
elseif(EXISTS ${_rd_completions}/rd.zsh)
  install(FILES ${_rd_completions}/rd.zsh DESTINATION ${RD_ZSH_COMPLETION_DIR} RENAME _rd)
endif()
foreach(_rd_tool IN LISTS _rd_tools)
  if(EXISTS ${_rd_completions}/_${_rd_tool})
    install(FILES ${_rd_completions}/_${_rd_tool} DESTINATION ${RD_ZSH_COMPLETION_DIR})
  endif()
endforeach()

set(_rd_fish_dir ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
foreach(_rd_tool IN LISTS _rd_tools)
  # fish loads <command>.fish when the command is first completed, so a shared file goes in
  # once per tool name.
  foreach(_rd_src IN ITEMS ${_rd_completions}/${_rd_tool}.fish ${_rd_completions}/rd.fish)
    if(EXISTS ${_rd_src})
      install(FILES ${_rd_src} DESTINATION ${_rd_fish_dir} RENAME ${_rd_tool}.fish)
      break()
    endif()
  endforeach()
endforeach()

# --- examples, as documentation (demo.sh builds from the source tree, so it stays there)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
        USE_SOURCE_PERMISSIONS PATTERN demo.sh EXCLUDE)

# --- the README and the guides it links to, with the benchmarks' README they link to in turn;
# tests/cli/install_test.sh checks that every relative link resolves in the installed tree.
if(EXISTS ${PROJECT_SOURCE_DIR}/README.md)
  install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
endif()
file(GLOB _rd_guides CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md ${PROJECT_SOURCE_DIR}/docs/*.png
     ${PROJECT_SOURCE_DIR}/docs/*.jpg ${PROJECT_SOURCE_DIR}/docs/*.svg)
if(_rd_guides)
  install(FILES ${_rd_guides} DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
endif()
if(EXISTS ${PROJECT_SOURCE_DIR}/bench/README.md)
  install(FILES ${PROJECT_SOURCE_DIR}/bench/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}/bench)
endif()

# --- Debian package: cpack -G DEB in the build folder (configure it with
# -DCMAKE_INSTALL_PREFIX=/usr so that the zsh completion lands where Debian's zsh looks).
set(RD_PACKAGE_MAINTAINER "rd developers <rd@localhost>" CACHE STRING "Maintainer field of the Debian package")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME rd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "rd")
set(CPACK_PACKAGE_CONTACT ${RD_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "anomaly detection by reverse distillation, as command-line tools")
# One quoted string: a CMake list would take the semicolons for separators.
set(CPACK_PACKAGE_DESCRIPTION "rd finds defects in camera images of a product. rd-train learns a model \
from images of good parts; rd-score gives each new image an anomaly score and map as JSON lines; \
rd-threshold turns scores into pass/fail, rd-map draws overlays, rd-eval computes AUROC, AUPRO \
and F1, and rd-report makes one HTML page of a run with a drift check. It implements Anomaly \
Detection via Reverse Distillation from One-Class Embedding (Deng and Li, CVPR 2022) on LibTorch, \
and reads torchvision's and the paper's PyTorch weights.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the tools are built with debug info: ~50 MB each unstripped
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # rd_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${RD_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The packages of the shared libraries the tools link, computed by dpkg-shlibdeps (dpkg-dev) from
# the release the package is built on: libtorch1.13, libopencv-core406, ... on Debian 12;
# libtorch2.6, libopencv-core410, ... on Debian 13. OpenBLAS is loaded by LibTorch through the
# libblas.so.3 alternative, which shlibdeps cannot see: without it libtorch falls back to the
# reference BLAS, several times slower.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-pthread")
# What the examples use: jq for tables, GNU parallel, Fashion-MNIST for examples/novelty.sh,
# inotifywait for examples/watch/.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "jq, parallel, python3, dataset-fashion-mnist, inotify-tools, bash-completion")
include(CPack)
